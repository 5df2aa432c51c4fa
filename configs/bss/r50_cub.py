# BSS, ResNet-50 (supervised ImageNet-1k, torchvision), TLlib's SGD recipe,
# CUB-200-2011: configs/_base_/methods/bss.py on configs/erm/r50_cub.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/r50_cub.py', '../_base_/methods/bss.py']
model = _base_.bss.model
