# The quick demo (python tools/demo.py): effnetlite0_digits.py in 150
# iterations instead of 300, so that the four methods take about five
# minutes on two CPU cores.
_base_ = ['./effnetlite0_digits.py']
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, T_max=150)]
train_cfg = dict(max_iters=150, val_interval=150)
default_hooks = dict(checkpoint=dict(interval=150))
