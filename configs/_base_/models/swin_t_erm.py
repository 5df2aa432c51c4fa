# Swin-T (torchvision's IMAGENET1K_V1 weights, converted with
# tools/model_converters/torchvision_to_mmpretrain.py) with a new linear
# classifier on the average-pooled last stage: plain fine-tuning (ERM).
# `backbone` holds the settings the converter prints for these weights
# (window 7, no absolute position embedding, no padding of small maps);
# fine-tuning keeps stochastic depth 0.1 (mmpretrain's default).
# timm's Swin-T (timm_to_mmpretrain.py) takes the same model and ImageNet
# mean/std: only `pretrained` changes.
pretrained = 'checkpoints/swin-t_tv_in1k.pth'
backbone = dict(
    type='SwinTransformer',
    arch='tiny',
    img_size=224,
    patch_size=4,
    window_size=7,
    out_indices=(3, ),
    out_after_downsample=False,
    use_abs_pos_embed=False,
    pad_small_map=False,
    norm_cfg=dict(type='LN'))
model = dict(
    type='ImageClassifier',
    backbone=dict(
        backbone,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,  # set by the dataset's leaf config
        in_channels=768,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
