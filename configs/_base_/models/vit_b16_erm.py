# ViT-B/16 (torchvision's IMAGENET1K_V1 weights, converted with
# tools/model_converters/torchvision_to_mmpretrain.py) with a new linear
# classifier on the class token: plain fine-tuning (ERM), the baseline of
# every method. `backbone` holds the settings the converter prints for these
# weights (LayerNorm eps 1e-6, post-norm, no layer scale; class-token
# output, so no neck); fine-tuning adds stochastic depth 0.1.
# timm weights (timm_to_mmpretrain.py, e.g. vit_base_patch16_224.augreg2_
# in21k_ft_in1k) load into the same model but take mean/std 0.5: point
# model.backbone.init_cfg.checkpoint (and Co-tuning's
# model.head.source_checkpoint) at them and set data_preprocessor.mean and
# .std to [127.5] * 3 (configs/cotuning/README.md has the command).
pretrained = 'checkpoints/vit-b16_tv_in1k.pth'
backbone = dict(
    type='VisionTransformer',
    arch='base',
    img_size=224,
    patch_size=16,
    out_type='cls_token',
    with_cls_token=True,
    final_norm=True,
    pre_norm=False,
    qkv_bias=True,
    layer_scale_init_value=0.,
    norm_cfg=dict(type='LN', eps=1e-6))
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
