# Plain fine-tuning small enough for CI: a tiny ResNet-18 on a generated
# three-class dataset; the tiny method configs are the methods' deltas on it.
# The tests pass data_root and the source checkpoint with --cfg-options (or
# set them before building the Runner).
_base_ = ['../../configs/_base_/default_runtime.py']
source = 'SET_BY_TEST'
data_root = 'SET_BY_TEST'
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=8,
        stem_channels=8,
        out_indices=(3, ),
        init_cfg=dict(type='Pretrained', checkpoint=source,
                      prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=64, topk=(1, )),
    data_preprocessor=dict(
        num_classes=3, mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True),
)
train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    drop_last=True,
    dataset=dict(
        type='ClassSubsetDataset',
        ratio=0.5,
        seed=0,
        dataset=dict(
            type='CustomDataset',
            data_root=data_root,
            data_prefix='train',
            pipeline=train_pipeline)),
    sampler=dict(type='InfiniteSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=4,
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
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={
        'backbone': dict(lr_mult=0.1),
        'head.source_fc': dict(lr_mult=0.1)
    }))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[3], gamma=0.1)
]
train_cfg = dict(
    type='ReproducibleIterBasedTrainLoop', max_iters=4, val_interval=4)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2, max_keep_ckpts=5, save_best=None))
randomness = dict(seed=0)
