# ResNet-50 (torchvision ImageNet weights, converted with
# tools/model_converters/torchvision_resnet_to_mmpretrain.py) with the
# Co-tuning head: new target classifier + the kept 1000-class classifier.
pretrained = 'checkpoints/resnet50_tv_in1k.pth'
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        depth=50,
        out_indices=(3, ),
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint=pretrained,
                      prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='CoTuningHead',
        num_classes=1000,  # set by the dataset's leaf config
        in_channels=2048,
        num_source_classes=1000,
        source_loss_weight=2.3,
        source_checkpoint=pretrained,
        topk=(1, )),
)
custom_hooks = [dict(type='CategoryRelationshipHook', approach='direct')]
