# ConvNeXt-T with the Co-tuning head: a new target classifier + the kept
# ImageNet-1k classifier of the converted checkpoint. Its key prefix is
# found in the checkpoint (the converter writes it into meta), so
# model.head.source_prefix is not set; setting it overrides the search.
_base_ = ['./convnext_t_erm.py']
model = dict(
    head=dict(
        _delete_=True,
        type='CoTuningHead',
        num_classes=1000,  # set by the dataset's leaf config
        in_channels=768,
        num_source_classes=1000,
        source_loss=dict(
            type='CrossEntropyLoss', use_soft=True, loss_weight=2.3),
        source_checkpoint={{_base_.pretrained}},
        topk=(1, )))
custom_hooks = [dict(type='CategoryRelationshipHook', approach='direct')]
