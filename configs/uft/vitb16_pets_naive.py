# Naive unsupervised finetuning of ViT-B/16 (supervised ImageNet-1k
# weights, torchvision; the MoCo neck starts random): MoCo v2 continued on
# Oxford-IIIT Pet alone; no shuffle BN (LayerNorm model); ResNet-50's
# schedule.
_base_ = [
    '../_base_/models/vit_b16_uft_mocov2.py',
    '../_base_/datasets/uft_pets.py',
    '../_base_/schedules/uft_sgd_coslr_200e.py',
    '../_base_/epoch_runtime.py',
]
