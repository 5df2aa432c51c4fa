# Co-tuning + BSS as the shipped combination is written: BSS's delta on the
# Co-tuning config, no new class.
_base_ = ['./tiny_cotuning.py', '../../configs/_base_/methods/bss.py']
model = _base_.bss.model
