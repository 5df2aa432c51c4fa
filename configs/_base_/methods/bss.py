# Batch Spectral Shrinkage (Chen et al., NeurIPS 2019) as TLlib runs it
# (bss.py), as a delta on a plain fine-tuning config:
#     _base_ = ['../erm/r50_cub.py', '../_base_/methods/bss.py']
#     model = _base_.bss.model
# 0.001 x the squared smallest (k = 1) singular value of the batch's
# features.
bss = dict(
    model=dict(
        type='FineTuningClassifier',
        regularizers=dict(
            bss=dict(type='BSSRegularizer', k=1, loss_weight=0.001))))
