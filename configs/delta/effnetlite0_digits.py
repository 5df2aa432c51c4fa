# DELTA on the embedded digits, EfficientNet-Lite0 (ImageNet):
# configs/_base_/methods/delta.py on configs/erm/effnetlite0_digits.py.
_base_ = ['../erm/effnetlite0_digits.py', '../_base_/methods/delta.py']
model = _base_.delta.model
optim_wrapper = _base_.delta.optim_wrapper
