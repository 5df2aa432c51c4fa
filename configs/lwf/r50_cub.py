# LwF, ResNet-50 (supervised ImageNet-1k, torchvision), TLlib's SGD recipe,
# CUB-200-2011: configs/_base_/methods/lwf.py on configs/erm/r50_cub.py. TLlib
# runs LwF at lr 0.001 at 15-50 % of CUB and on Aircraft: --cfg-options
# optim_wrapper.optimizer.lr=0.001.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/r50_cub.py', '../_base_/methods/lwf.py']
model = _base_.lwf.model
