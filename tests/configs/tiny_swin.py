# A tiny Swin (embed 16, depths (2, 2, 2, 2), windows of 2, patch 2, 32 px:
# 16, 8, 4 and 2 tokens a side, so the first three stages shift their
# windows and the last is one window, as Swin-T at 224 px) with the
# settings of configs/_base_/models/swin_t_erm.py; GlobalAveragePooling
# gives [B, 128]. A fragment: see tiny_vit.py. The source checkpoint is a
# tiny timm Swin converted by tools/model_converters/timm_to_mmpretrain.py.
backbone = dict(
    type='SwinTransformer',
    arch=dict(embed_dims=16, depths=[2, 2, 2, 2], num_heads=[1, 1, 2, 2]),
    img_size=32,
    patch_size=2,
    window_size=2,
    out_indices=(3, ),
    out_after_downsample=False,
    use_abs_pos_embed=False,
    pad_small_map=False,
    norm_cfg=dict(type='LN'),
    drop_path_rate=0.1)
neck = dict(type='GlobalAveragePooling')
feat_dim = 128
