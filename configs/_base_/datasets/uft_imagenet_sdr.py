# Unsupervised finetuning data: MoCo v2 "aug+" views of the target's train
# split (a target leaf sets `target`), and, for source replay, a fixed 10 %
# of ImageNet-1k train written once by
#   python tools/dataset_converters/make_source_subset.py \
#       data/imagenet/meta/train.txt data/imagenet/meta/train_sdr10_seed0.txt
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.2, 1.0),
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
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
two_views = dict(type='MultiView', num_views=2, transforms=[view_pipeline])
train_pipeline = [
    dict(type='CheckedLoadImageFromFile'), two_views,
    dict(type='PackInputs')
]
source = dict(
    type='ImageNet',
    data_root='data/imagenet',
    split='train',
    ann_file='meta/train_sdr10_seed0.txt',
    pipeline=train_pipeline)
# Source replay: a leaf replaces the dataset by
#   dict(_delete_=True, type='ConcatDataset', datasets=[target, source],
#        ignore_keys=['classes', 'dataset_type'])
# and the sampler by SourceReplaySampler (target first, source second).
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    drop_last=True,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(),  # the target, set by the dataset leaf
)
