# BSS, ConvNeXt-T (supervised ImageNet-1k, torchvision), AdamW + layer decay,
# Stanford Cars: configs/_base_/methods/bss.py on
# configs/erm/convnextt_cars.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/convnextt_cars.py', '../_base_/methods/bss.py']
model = _base_.bss.model
