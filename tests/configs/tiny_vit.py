# A tiny ViT (embed 32, 2 layers, 2 heads, patch 8, 32 px) with the settings
# of configs/_base_/models/vit_b16_erm.py: the converted torchvision layout
# (LayerNorm eps 1e-6, post-norm, no layer scale), the class token as the
# feature ([B, 32]), no neck. Not a config of its own: tests/test_models/
# test_new_backbones.py puts `backbone`, `neck` and `feat_dim` into the
# tiny method configs, and the source checkpoint (a tiny torchvision ViT
# converted by tools/model_converters/torchvision_to_mmpretrain.py) into
# init_cfg.
backbone = dict(
    type='VisionTransformer',
    arch=dict(
        embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
    img_size=32,
    patch_size=8,
    out_type='cls_token',
    with_cls_token=True,
    final_norm=True,
    pre_norm=False,
    qkv_bias=True,
    layer_scale_init_value=0.,
    norm_cfg=dict(type='LN', eps=1e-6),
    drop_path_rate=0.1)
neck = None
feat_dim = 32
