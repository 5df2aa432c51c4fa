# DELTA, ResNet-50 (supervised ImageNet-1k, torchvision), TLlib's SGD recipe,
# FGVC Aircraft: configs/_base_/methods/delta.py on
# configs/erm/r50_aircraft.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/r50_aircraft.py', '../_base_/methods/delta.py']
model = _base_.delta.model
optim_wrapper = _base_.delta.optim_wrapper
