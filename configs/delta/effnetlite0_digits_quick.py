# DELTA on the embedded digits, EfficientNet-Lite0 (ImageNet), 150 iterations
# (the quick demo): configs/_base_/methods/delta.py on
# configs/erm/effnetlite0_digits_quick.py.
_base_ = ['../erm/effnetlite0_digits_quick.py', '../_base_/methods/delta.py']
model = _base_.delta.model
optim_wrapper = _base_.delta.optim_wrapper
# TLlib's weight 0.01 collapses on the digits: the weighted feature-map
# distance starts at 377 against a cross-entropy of 2.3, and test top-1 is
# 59.9 / 31.4 / 71.9 % over seeds 0-2 (an H200; 52.1 % seed 0 on a CPU).
# At 1e-4 it trains: 85.04 +- 1.23 % (README, "The demo's figures").
model.regularizers.delta.loss_weight = 1e-4
