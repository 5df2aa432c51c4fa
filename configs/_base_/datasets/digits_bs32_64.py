# The embedded demo set: scikit-learn's handwritten digits as 64 px images,
# written by tools/dataset_converters/prepare_digits.py (nothing downloaded).
# Normalisation of the EfficientNet-Lite0 weights: RGB, mean 127.5, std 127.5.
data_root = 'data/digits'
data_preprocessor = dict(
    num_classes=10, mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True)
# Training images are decoded once and kept in memory (mmft's ImageCache:
# 899 PNGs of 12 KB at most), not at every visit; the run computes the same.
# A file changed on disk during a run is not read again. The test pipeline
# (also what inference and export use) reads its files as usual.
load_image = dict(
    type='ImageCache', loader=dict(type='CheckedLoadImageFromFile'))
train_augments = [
    dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.6, 1.0)),
]
train_pipeline = [load_image, *train_augments, dict(type='PackInputs')]
# Query and key views for Bi-tuning (see fgvc_bs48_224.py).
train_pipeline_2views = [
    load_image,
    dict(type='MultiView', num_views=2, transforms=[train_augments]),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    drop_last=True,
    dataset=dict(
        type='ClassSubsetDataset',
        ratio=1.0,
        seed=0,
        dataset=dict(
            type='CustomDataset',
            data_root=data_root,
            data_prefix='train',
            pipeline=train_pipeline)),
    # Endless shuffled stream (as TLlib's ForeverDataIterator): no pause
    # between passes of the iteration-based loop.
    sampler=dict(type='InfiniteSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(
        type='CustomDataset',
        data_root=data_root,
        data_prefix='test',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
