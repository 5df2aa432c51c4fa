# Co-tuning, Swin-T (supervised ImageNet-1k, torchvision), AdamW + layer
# decay, FGVC Aircraft: configs/_base_/methods/cotuning.py on
# configs/erm/swint_aircraft.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/swint_aircraft.py', '../_base_/methods/cotuning.py']
model = _base_.cotuning.model
