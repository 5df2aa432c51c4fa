# Co-tuning + Bi-tuning on one tiny model (see tiny_bituning.py).
_base_ = ['./tiny_bituning.py']
model = dict(
    head=dict(
        _delete_=True,
        type='CoTuningHead',
        num_classes=3,
        in_channels=64,
        num_source_classes=5,
        source_checkpoint='SET_BY_TEST',
        contrastive_loss=dict(type='ContrastiveCELoss', queue_size=4),
        topk=(1, )))
custom_hooks = [
    dict(type='MomentumEncoderHook'),
    dict(type='CategoryRelationshipHook'),
]
