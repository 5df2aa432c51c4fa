# BSS, ViT-B/16 (supervised ImageNet-1k, torchvision), AdamW + layer decay,
# CUB-200-2011: configs/_base_/methods/bss.py on configs/erm/vitb16_cub.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/vitb16_cub.py', '../_base_/methods/bss.py']
model = _base_.bss.model
