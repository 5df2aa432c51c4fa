# Co-tuning and Bi-tuning on one EfficientNet-Lite0 (an mmft composition).
_base_ = ['./efficientnet_lite0_bituning.py']
model = dict(
    head=dict(
        _delete_=True,
        type='CoTuningHead',
        num_classes=1000,  # set by the dataset's leaf config
        in_channels=1280,
        num_source_classes=1000,
        source_loss=dict(
            type='CrossEntropyLoss', use_soft=True, loss_weight=2.3),
        source_checkpoint={{_base_.pretrained}},
        contrastive_loss=dict(
            type='ContrastiveCELoss',
            queue_size=16,
            temperature=0.07,
            loss_weight=1.0),
        topk=(1, )))
custom_hooks = [
    dict(type='MomentumEncoderHook'),
    dict(type='CategoryRelationshipHook', approach='direct'),
]
