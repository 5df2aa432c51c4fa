# StochNorm on the embedded digits, EfficientNet-Lite0 (ImageNet):
# configs/_base_/methods/stochnorm.py on configs/erm/effnetlite0_digits.py.
_base_ = ['../erm/effnetlite0_digits.py', '../_base_/methods/stochnorm.py']
model = _base_.stochnorm.model
