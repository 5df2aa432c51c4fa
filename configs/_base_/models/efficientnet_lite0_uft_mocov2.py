# Unsupervised finetuning of the embedded EfficientNet-Lite0 (ImageNet
# weights, tools/model_converters/efficientnet_lite0_to_mmft.py): MoCo v2
# with a new MLP neck (1280 -> 1280 -> 128, random: the weights are
# supervised), temperature 0.2, key momentum 0.999, CutMix-mixed queries.
pretrained = 'checkpoints/efficientnet-lite0_in1k.pth'
model = dict(
    type='UFTMoCo',
    backbone=dict(type='EfficientNetLite', arch='l0'),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=1280,
        hid_channels=1280,
        out_channels=128,
        with_avg_pool=True),
    queue_len=65536,  # a dataset leaf sets one for its size
    feat_dim=128,
    loss=dict(type='MixedQueryInfoNCELoss', temperature=0.2),
    key_momentum=0.999,
    mix=dict(type='cutmix', alpha=1.0, pairing='batch_perm'),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained),
)
