# Co-tuning, ConvNeXt-T (supervised ImageNet-1k, torchvision), AdamW + layer
# decay, Stanford Cars: configs/_base_/methods/cotuning.py on
# configs/erm/convnextt_cars.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/convnextt_cars.py', '../_base_/methods/cotuning.py']
model = _base_.cotuning.model
