# Unsupervised finetuning on the embedded data: the digits' training half
# without labels as the target, and 10 % of natural-photo crops (the demo's
# stand-in for ImageNet, written by tools/dataset_converters/
# prepare_photo_crops.py and make_source_subset.py) replayed beside it.
data_root = 'data/digits'
source_root = 'data/photo_crops'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[127.5] * 3,
    std=[127.5] * 3,
    to_rgb=True)
# MoCo v2 "aug+" at 64 px, without flips (digits are not symmetric)
view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=64,
        crop_ratio_range=(0.3, 1.0),
        backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 1.0),
        magnitude_std='inf',
        prob=0.5),
]
train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]
target = dict(
    type='CustomDataset',
    data_root=data_root,
    data_prefix='train',
    pipeline=train_pipeline)
source = dict(
    type='CustomDataset',
    data_root=source_root,
    ann_file='meta/sdr10_seed0.txt',
    with_label=False,
    pipeline=train_pipeline)
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    drop_last=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='ConcatDataset',
        datasets=[target, source],
        ignore_keys=['classes']),
    sampler=dict(type='SourceReplaySampler', mode='concat', seed=0),
)
