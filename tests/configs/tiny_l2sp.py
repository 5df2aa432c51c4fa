# l2sp's delta (configs/_base_/methods/l2sp.py) on the tiny plain
# fine-tuning config.
_base_ = ['./tiny_erm.py', '../../configs/_base_/methods/l2sp.py']
model = _base_.l2sp.model
optim_wrapper = _base_.l2sp.optim_wrapper
