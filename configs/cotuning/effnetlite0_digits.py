# Co-tuning on the embedded digits, EfficientNet-Lite0 (ImageNet):
# configs/_base_/methods/cotuning.py on configs/erm/effnetlite0_digits.py.
_base_ = ['../erm/effnetlite0_digits.py', '../_base_/methods/cotuning.py']
model = _base_.cotuning.model
