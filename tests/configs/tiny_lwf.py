# LwF's delta (configs/_base_/methods/lwf.py, 5 source classes) on the tiny
# plain fine-tuning config.
_base_ = ['./tiny_erm.py', './methods/lwf.py']
model = _base_.lwf.model
