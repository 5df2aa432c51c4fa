# Co-tuning + BSS (a config delta, no new class):
# configs/_base_/methods/bss.py on configs/cotuning/r50_cub.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../cotuning/r50_cub.py', '../_base_/methods/bss.py']
model = _base_.bss.model
