# ResNet-50 (torchvision ImageNet weights) with a new linear classifier:
# plain fine-tuning (ERM), the baseline of every method.
pretrained = 'checkpoints/resnet50_tv_in1k.pth'
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        depth=50,
        out_indices=(3, ),
        style='pytorch',
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,  # set by the dataset's leaf config
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
