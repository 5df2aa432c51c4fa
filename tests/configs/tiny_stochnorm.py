# stochnorm's delta (configs/_base_/methods/stochnorm.py) on the tiny plain
# fine-tuning config.
_base_ = ['./tiny_erm.py', '../../configs/_base_/methods/stochnorm.py']
model = _base_.stochnorm.model
