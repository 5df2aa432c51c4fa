# BSS, Swin-T (supervised ImageNet-1k, torchvision), AdamW + layer decay, FGVC
# Aircraft: configs/_base_/methods/bss.py on configs/erm/swint_aircraft.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/swint_aircraft.py', '../_base_/methods/bss.py']
model = _base_.bss.model
