# A Co-tuning run small enough for CI: the method's delta on tiny_erm.py.
_base_ = ['./tiny_erm.py', './methods/cotuning.py']
model = _base_.cotuning.model
