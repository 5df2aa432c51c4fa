# Bi-tuning + L2-SP on the embedded digits: configs/_base_/methods/l2sp.py on
# configs/bituning/effnetlite0_digits.py.
_base_ = ['../bituning/effnetlite0_digits.py', '../_base_/methods/l2sp.py']
model = _base_.l2sp.model
optim_wrapper = _base_.l2sp.optim_wrapper
