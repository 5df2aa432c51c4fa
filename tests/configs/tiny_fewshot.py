# K-shot transfer of a tiny backbone (see tiny_uft.py).
_base_ = ['../../configs/_base_/epoch_runtime.py']
data_root = 'SET_BY_TEST'
model = dict(
    type='ImageClassifier',
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
        type='LinearClsHead',
        num_classes=3,
        in_channels=64,
        init_cfg=dict(type='Constant', layer='Linear', val=0)),
    data_preprocessor=dict(
        num_classes=3, mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True),
)
pipeline = [dict(type='CheckedLoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    dataset=dict(
        type='ClassSubsetDataset',
        shots=2,
        seed=0,
        dataset=dict(
            type='CustomDataset',
            data_root=data_root,
            data_prefix='train',
            pipeline=pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    dataset=dict(
        type='CustomDataset',
        data_root=data_root,
        data_prefix='test',
        pipeline=pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(
    type='SingleLabelMetric', items=('recall', ), average='macro')
test_dataloader = val_dataloader
test_evaluator = val_evaluator
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=1e-4, momentum=0.9, weight_decay=0.),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=30000.)}))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=2, by_epoch=True)]
train_cfg = dict(
    type='ReproducibleEpochBasedTrainLoop', max_epochs=2, val_interval=2)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=4)
