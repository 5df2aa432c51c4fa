# L2-SP on the embedded digits, EfficientNet-Lite0 (ImageNet), 150 iterations
# (the quick demo): configs/_base_/methods/l2sp.py on
# configs/erm/effnetlite0_digits_quick.py.
_base_ = ['../erm/effnetlite0_digits_quick.py', '../_base_/methods/l2sp.py']
model = _base_.l2sp.model
optim_wrapper = _base_.l2sp.optim_wrapper
