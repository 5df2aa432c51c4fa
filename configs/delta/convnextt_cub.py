# DELTA, ConvNeXt-T (supervised ImageNet-1k, torchvision), AdamW + layer
# decay, CUB-200-2011: configs/_base_/methods/delta.py on
# configs/erm/convnextt_cub.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/convnextt_cub.py', '../_base_/methods/delta.py']
model = _base_.delta.model
optim_wrapper = _base_.delta.optim_wrapper
