# Co-tuning on the embedded digits, EfficientNet-Lite0 (ImageNet), 150
# iterations (the quick demo): configs/_base_/methods/cotuning.py on
# configs/erm/effnetlite0_digits_quick.py.
_base_ = [
    '../erm/effnetlite0_digits_quick.py', '../_base_/methods/cotuning.py'
]
model = _base_.cotuning.model
