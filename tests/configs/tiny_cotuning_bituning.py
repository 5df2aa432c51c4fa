# Co-tuning + Bi-tuning on one tiny model: Bi-tuning's delta on
# tiny_cotuning.py (see tiny_bituning.py).
_base_ = ['./tiny_bituning.py', './methods/cotuning.py']
model = _base_.cotuning.model
