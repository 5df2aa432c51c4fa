# Co-tuning + BSS on the embedded digits: configs/_base_/methods/bss.py on
# configs/cotuning/effnetlite0_digits.py.
_base_ = ['../cotuning/effnetlite0_digits.py', '../_base_/methods/bss.py']
model = _base_.bss.model
