# ResNet-50 (torchvision ImageNet weights) with Bi-tuning (TLlib defaults):
# contrastive CE classifier head and a one-layer 128-d projector, K=40 keys
# per class, tau 0.07, lambda 1, key momentum 0.999. The dataset leaf selects
# the two-view train pipeline ({{_base_.train_pipeline_2views}}).
_base_ = ['./resnet50_erm.py']
model = dict(
    type='BiTuning',
    head=dict(
        _delete_=True,
        type='ContrastiveCEHead',
        num_classes=1000,  # set by the dataset's leaf config
        in_channels=2048,
        contrastive_loss=dict(
            type='ContrastiveCELoss',
            queue_size=40,
            temperature=0.07,
            loss_weight=1.0),
        topk=(1, )),
    projector=dict(
        type='ProjectorHead',
        in_channels=2048,
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
