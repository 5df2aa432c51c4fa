# LwF, Swin-T (supervised ImageNet-1k, torchvision), AdamW + layer decay,
# Stanford Cars: configs/_base_/methods/lwf.py on configs/erm/swint_cars.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/swint_cars.py', '../_base_/methods/lwf.py']
model = _base_.lwf.model
