# Shared recipe of the fine-grained benchmarks (TLlib, method notes 4.1):
# RandomResizedCrop(224, scale 0.2-1) + flip for training, resize 256 +
# centre crop 224 for testing, batch 48, the test split as validation.
# The dataset leaf (cub_bs48_224.py, ...) sets the dataset type and root.
data_preprocessor = dict(
    num_classes=1000,  # set by the dataset file
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)
train_augments = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
train_pipeline = [
    dict(type='CheckedLoadImageFromFile'), *train_augments,
    dict(type='PackInputs')
]
# Two independent draws of the same augmentations (Bi-tuning's query and key
# views); a leaf selects it with
# train_dataloader = dict(dataset=dict(dataset=dict(
#     pipeline={{_base_.train_pipeline_2views}})))
train_pipeline_2views = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[train_augments]),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=48,
    num_workers=4,
    drop_last=True,
    # The labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
    dataset=dict(
        type='ClassSubsetDataset',
        ratio=1.0,
        seed=0,
        dataset=dict(split='train', pipeline=train_pipeline)),
    # Endless shuffled stream (as TLlib's ForeverDataIterator): no pause
    # between passes of the iteration-based loop.
    sampler=dict(type='InfiniteSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=48,
    num_workers=4,
    dataset=dict(split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
