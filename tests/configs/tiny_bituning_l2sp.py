# Bi-tuning + L2-SP as the shipped combination is written: L2-SP's delta on
# the Bi-tuning config, no new class.
_base_ = ['./tiny_bituning.py', '../../configs/_base_/methods/l2sp.py']
model = _base_.l2sp.model
optim_wrapper = _base_.l2sp.optim_wrapper
