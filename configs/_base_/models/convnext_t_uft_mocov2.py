# Unsupervised finetuning (Li et al., 2021) of ConvNeXt-T: MoCo v2 (MLP
# neck 768 -> 2048 -> 128 on the pooled features, queue 65536, tau 0.2)
# continued on the target data, key momentum 0.999; otherwise as
# ResNet-50's UFT.
# - No shuffle BN (shuffle_bn=False): ConvNeXt has LayerNorm, no BatchNorm,
#   so shuffling the key batch across GPUs would guard against nothing (it
#   only costs two all-gathers a step).
# - MoCoV2Neck(with_avg_pool=False): the backbone already average-pools
#   (gap_before_final_norm) and gives [B, 768].
# Weights: torchvision's supervised ImageNet ConvNeXt-T (converted with
# tools/model_converters/torchvision_to_mmpretrain.py; its classifier is
# not used), so the MoCo neck starts from random weights. mix=None is naive
# UFT; the "+ mixing" leaves set it.
_base_ = ['./convnext_t_erm.py']
model = dict(
    _delete_=True,
    type='UFTMoCo',
    backbone={{_base_.backbone}},
    neck=dict(
        type='MoCoV2Neck',
        in_channels=768,
        hid_channels=2048,
        out_channels=128,
        with_avg_pool=False),
    queue_len=65536,
    feat_dim=128,
    loss=dict(type='MixedQueryInfoNCELoss', temperature=0.2),
    key_momentum=0.999,
    mix=None,
    shuffle_bn=False,
    init_cfg=dict(type='Pretrained', checkpoint={{_base_.pretrained}}),
)
