# LwF on the embedded digits, EfficientNet-Lite0 (ImageNet), 150 iterations
# (the quick demo): configs/_base_/methods/lwf.py on
# configs/erm/effnetlite0_digits_quick.py.
_base_ = ['../erm/effnetlite0_digits_quick.py', '../_base_/methods/lwf.py']
model = _base_.lwf.model
