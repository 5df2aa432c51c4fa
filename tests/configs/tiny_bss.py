# bss's delta (configs/_base_/methods/bss.py) on the tiny plain
# fine-tuning config.
_base_ = ['./tiny_erm.py', '../../configs/_base_/methods/bss.py']
model = _base_.bss.model
