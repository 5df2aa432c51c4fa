# ConvNeXt-T (torchvision's IMAGENET1K_V1 weights, converted with
# tools/model_converters/torchvision_to_mmpretrain.py) with a new linear
# classifier: plain fine-tuning (ERM). `backbone` holds the settings the
# converter prints for these weights: the backbone average-pools before its
# final LayerNorm (so no neck) and gives [B, 768]; LayerNorm eps 1e-6; the
# layer scales are loaded. Fine-tuning adds stochastic depth 0.1.
# timm's ConvNeXt-T (timm_to_mmpretrain.py) takes the same model and
# ImageNet mean/std: only `pretrained` changes.
pretrained = 'checkpoints/convnext-t_tv_in1k.pth'
backbone = dict(
    type='ConvNeXt',
    arch='tiny',
    out_indices=-1,
    gap_before_final_norm=True,
    linear_pw_conv=True,
    use_grn=False,
    layer_scale_init_value=1e-6,
    norm_cfg=dict(type='LN2d', eps=1e-6))
model = dict(
    type='ImageClassifier',
    backbone=dict(
        backbone,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=1000,  # set by the dataset's leaf config
        in_channels=768,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
