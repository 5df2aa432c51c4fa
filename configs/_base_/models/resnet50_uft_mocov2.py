# Unsupervised finetuning (Li et al., 2021): MoCo v2 (ResNet-50, MLP neck to
# 128, queue 65536, tau 0.2) continued on the target data, key momentum
# 0.999. mix=None is naive UFT; the "+ mixing" leaves set it. Weights: a MoCo
# v2 checkpoint converted with
#   tools/model_converters/moco_to_mmpretrain.py SRC OUT --fc neck
# (backbone and neck), or supervised weights (the neck then starts random).
pretrained = 'checkpoints/resnet50_mocov2_in1k.pth'
model = dict(
    type='UFTMoCo',
    backbone=dict(
        type='ResNet',
        depth=50,
        out_indices=(3, ),
        norm_cfg=dict(type='BN'),
        zero_init_residual=False),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        with_avg_pool=True),
    queue_len=65536,
    feat_dim=128,
    loss=dict(type='MixedQueryInfoNCELoss', temperature=0.2),
    key_momentum=0.999,
    mix=None,
    init_cfg=dict(type='Pretrained', checkpoint=pretrained),
)
