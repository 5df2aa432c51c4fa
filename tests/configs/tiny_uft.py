# Unsupervised finetuning small enough for CI: a tiny ResNet-18 continued
# with MoCo v2 on a generated target, a generated "source" replayed beside
# it, and CutMix-mixed queries. Tests set the roots and the checkpoint.
_base_ = ['../../configs/_base_/epoch_runtime.py']
source = 'SET_BY_TEST'
data_root = 'SET_BY_TEST'
model = dict(
    type='UFTMoCo',
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=8,
        stem_channels=8,
        out_indices=(3, )),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=64,
        hid_channels=32,
        out_channels=16,
        with_avg_pool=True),
    queue_len=64,
    feat_dim=16,
    loss=dict(type='MixedQueryInfoNCELoss', temperature=0.2),
    key_momentum=0.99,
    mix=dict(type='cutmix', alpha=1.0, pairing='batch_perm'),
    init_cfg=dict(type='Pretrained', checkpoint=source),
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[127.5] * 3,
        std=[127.5] * 3,
        to_rgb=True),
)
train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=2,
        transforms=[[
            dict(
                type='RandomResizedCrop', scale=32,
                crop_ratio_range=(0.5, 1.)),
            dict(type='RandomFlip', prob=0.5),
        ]]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    drop_last=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type='CustomDataset',
                data_root=data_root,
                data_prefix='train',
                pipeline=train_pipeline),
            dict(
                type='CustomDataset',
                data_root=data_root,
                data_prefix='source',
                pipeline=train_pipeline),
        ],
        ignore_keys=['classes']),
    sampler=dict(type='SourceReplaySampler', mode='concat', seed=0),
)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=2,
        by_epoch=True,
        convert_to_iter_based=True)
]
train_cfg = dict(type='ReproducibleEpochBasedTrainLoop', max_epochs=2)
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
randomness = dict(seed=0)
