# StochNorm, ResNet-50 (supervised ImageNet-1k, torchvision), TLlib's SGD
# recipe, Stanford Cars: configs/_base_/methods/stochnorm.py on
# configs/erm/r50_cars.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/r50_cars.py', '../_base_/methods/stochnorm.py']
model = _base_.stochnorm.model
