# EfficientNet-Lite0 with the Co-tuning head; the ImageNet classifier of the
# converted checkpoint is the source head.
_base_ = ['./efficientnet_lite0_erm.py']
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
        topk=(1, )))
custom_hooks = [dict(type='CategoryRelationshipHook', approach='direct')]
