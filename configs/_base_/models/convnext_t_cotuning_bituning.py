# Co-tuning and Bi-tuning on one ConvNeXt-T (an mmft composition, in no
# paper): the Bi-tuning model whose classifier head is also Co-tuning's,
# so loss = CE + 2.3 x source soft-CE + CCE + CCL.
_base_ = ['./convnext_t_bituning.py']
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
        contrastive_loss=dict(
            type='ContrastiveCELoss',
            queue_size=40,
            temperature=0.07,
            loss_weight=1.0),
        topk=(1, )))
custom_hooks = [
    dict(type='MomentumEncoderHook'),
    dict(type='CategoryRelationshipHook', approach='direct'),
]
