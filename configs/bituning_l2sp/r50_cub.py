# Bi-tuning + L2-SP (a config delta, no new class):
# configs/_base_/methods/l2sp.py on configs/bituning/r50_cub.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../bituning/r50_cub.py', '../_base_/methods/l2sp.py']
model = _base_.l2sp.model
optim_wrapper = _base_.l2sp.optim_wrapper
