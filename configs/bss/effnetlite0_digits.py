# BSS on the embedded digits, EfficientNet-Lite0 (ImageNet):
# configs/_base_/methods/bss.py on configs/erm/effnetlite0_digits.py.
_base_ = ['../erm/effnetlite0_digits.py', '../_base_/methods/bss.py']
model = _base_.bss.model
