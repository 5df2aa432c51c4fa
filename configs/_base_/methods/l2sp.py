# L2-SP (Li et al., ICML 2018) as TLlib runs it (delta.py
# --regularization-type l2_sp), as a delta on a plain fine-tuning config:
#     _base_ = ['../erm/r50_cub.py', '../_base_/methods/l2sp.py']
#     model = _base_.l2sp.model
#     optim_wrapper = _base_.l2sp.optim_wrapper
# 0.01 x 0.5 ||w - w0||^2 over the backbone (w0: the starting point, a
# frozen snapshot of the pretrained weights) plus 0.01 x 0.5 ||w||^2 over
# the new classifier, and no weight decay (TLlib's delta.py default).
l2sp = dict(
    model=dict(
        type='FineTuningClassifier',
        starting_point=True,
        regularizers=dict(
            l2sp=dict(type='L2SPRegularizer', loss_weight=0.01),
            head_l2=dict(
                type='L2Regularizer', modules=['head.fc'], loss_weight=0.01))),
    optim_wrapper=dict(optimizer=dict(weight_decay=0.)))
