# A tiny ConvNeXt (channels 8, 16, 32, 64, one block a stage) with the
# settings of configs/_base_/models/convnext_t_erm.py: pooled before the
# final LayerNorm, [B, 64], no neck. A fragment: see tiny_vit.py. The
# source checkpoint is a tiny torchvision ConvNeXt converted by
# mmft.utils.convert.convert and saved without meta.
backbone = dict(
    type='ConvNeXt',
    arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64]),
    out_indices=-1,
    gap_before_final_norm=True,
    linear_pw_conv=True,
    use_grn=False,
    layer_scale_init_value=1e-6,
    norm_cfg=dict(type='LN2d', eps=1e-6),
    drop_path_rate=0.1)
neck = None
feat_dim = 64
