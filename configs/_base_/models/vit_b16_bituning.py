# ViT-B/16 with Bi-tuning (TLlib's defaults): the contrastive heads see the
# class token ([B, 768], no neck); the key encoder is a momentum copy of the
# backbone and the projection. Contrastive CE classifier head, one-layer
# 128-d projector, K=40 keys per class, tau 0.07, lambda 1, key momentum
# 0.999. The dataset leaf selects the two-view train pipeline
# ({{_base_.train_pipeline_2views}}).
_base_ = ['./vit_b16_erm.py']
model = dict(
    type='BiTuning',
    head=dict(
        _delete_=True,
        type='ContrastiveCEHead',
        num_classes=1000,  # set by the dataset's leaf config
        in_channels=768,
        contrastive_loss=dict(
            type='ContrastiveCELoss',
            queue_size=40,
            temperature=0.07,
            loss_weight=1.0),
        topk=(1, )),
    projector=dict(
        type='ProjectorHead',
        in_channels=768,
        out_channels=128,
        num_classes=1000,  # set by the dataset's leaf config
        loss=dict(
            type='CategoricalContrastiveLoss',
            queue_size=40,
            temperature=0.07,
            loss_weight=1.0)),
    key_momentum=0.999,
)
custom_hooks = [dict(type='MomentumEncoderHook')]
