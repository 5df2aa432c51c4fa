# DELTA (Li et al., ICLR 2019) as TLlib runs it (delta.py, attention feature
# maps), as a delta on a plain fine-tuning config:
#     _base_ = ['../erm/r50_cub.py', '../_base_/methods/delta.py']
#     model = _base_.delta.model
#     optim_wrapper = _base_.delta.optim_wrapper
# 0.01 x the attention-weighted distance between the feature maps of four
# layers (the last convolution of each stage: layer{1..4}.<last>.conv3 on
# ResNet-50, as TLlib) and the starting point's on the same batch, plus
# 0.01 x 0.5 ||w||^2 over the new classifier, no weight decay.
# default_hooks.channel_attention estimates the channel attention before
# training (default_runtime.py).
delta = dict(
    model=dict(
        type='FineTuningClassifier',
        starting_point=True,
        regularizers=dict(
            delta=dict(type='DELTARegularizer', loss_weight=0.01),
            head_l2=dict(
                type='L2Regularizer', modules=['head.fc'], loss_weight=0.01))),
    optim_wrapper=dict(optimizer=dict(weight_decay=0.)))
