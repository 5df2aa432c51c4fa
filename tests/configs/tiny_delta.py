# delta's delta (configs/_base_/methods/delta.py) on the tiny plain
# fine-tuning config.
_base_ = ['./tiny_erm.py', '../../configs/_base_/methods/delta.py']
model = _base_.delta.model
optim_wrapper = _base_.delta.optim_wrapper
