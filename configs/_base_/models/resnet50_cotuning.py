# ResNet-50 (torchvision ImageNet weights, converted with
# tools/model_converters/torchvision_resnet_to_mmpretrain.py) with the
# Co-tuning head: new target classifier + the kept 1000-class classifier.
_base_ = ['./resnet50_erm.py']
model = dict(
    head=dict(
        _delete_=True,
        type='CoTuningHead',
        num_classes=1000,  # set by the dataset's leaf config
        in_channels=2048,
        num_source_classes=1000,
        source_loss=dict(
            type='CrossEntropyLoss', use_soft=True, loss_weight=2.3),
        source_checkpoint={{_base_.pretrained}},
        topk=(1, )))
custom_hooks = [dict(type='CategoryRelationshipHook', approach='direct')]
