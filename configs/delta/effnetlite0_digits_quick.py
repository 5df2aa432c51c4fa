# DELTA on the embedded digits, EfficientNet-Lite0 (ImageNet), 150 iterations
# (the quick demo): configs/_base_/methods/delta.py on
# configs/erm/effnetlite0_digits_quick.py.
_base_ = ['../erm/effnetlite0_digits_quick.py', '../_base_/methods/delta.py']
model = _base_.delta.model
optim_wrapper = _base_.delta.optim_wrapper
