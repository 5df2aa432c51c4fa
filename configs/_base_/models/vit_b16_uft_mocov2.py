# Unsupervised finetuning (Li et al., 2021) of ViT-B/16: MoCo v2 (MLP neck
# 768 -> 2048 -> 128 on the class token, queue 65536, tau 0.2) continued on
# the target data, key momentum 0.999; otherwise as ResNet-50's UFT.
# - No shuffle BN (shuffle_bn=False): ViT has LayerNorm, no BatchNorm, so
#   shuffling the key batch across GPUs would guard against nothing (it
#   only costs two all-gathers a step).
# - MoCoV2Neck(with_avg_pool=False): the backbone gives the [B, 768] class
#   token, already one vector an image.
# Weights: torchvision's supervised ImageNet ViT-B/16 (converted with
# tools/model_converters/torchvision_to_mmpretrain.py; its classifier is
# not used), so the MoCo neck starts from random weights. mix=None is naive
# UFT; the "+ mixing" leaves set it.
_base_ = ['./vit_b16_erm.py']
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
