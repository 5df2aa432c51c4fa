# A Bi-tuning run small enough for CI (tiny ResNet-18, generated data). The
# two views are deterministic (the key view is the flipped image), so that a
# resumed run can be compared with an uninterrupted one.
_base_ = ['./tiny_cotuning.py']
model = dict(
    _delete_=True,
    type='BiTuning',
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=8,
        stem_channels=8,
        out_indices=(3, ),
        init_cfg=dict(
            type='Pretrained', checkpoint='SET_BY_TEST', prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='ContrastiveCEHead',
        num_classes=3,
        in_channels=64,
        contrastive_loss=dict(type='ContrastiveCELoss', queue_size=4),
        topk=(1, )),
    projector=dict(
        type='ProjectorHead',
        in_channels=64,
        out_channels=16,
        num_classes=3,
        loss=dict(type='CategoricalContrastiveLoss', queue_size=4)),
    key_momentum=0.9,
    data_preprocessor=dict(
        num_classes=3, mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True),
)
custom_hooks = [dict(type='MomentumEncoderHook')]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[[], [dict(type='RandomFlip', prob=1.0)]]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
optim_wrapper = dict(optimizer=dict(lr=0.05))
