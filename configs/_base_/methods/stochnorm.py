# StochNorm (Kou et al., NeurIPS 2020) as TLlib runs it (stochnorm.py), as a
# delta on a plain fine-tuning config of a BatchNorm backbone (ResNet,
# EfficientNet; not ViT, Swin or ConvNeXt, whose LayerNorm it does not
# define):
#     _base_ = ['../erm/r50_cub.py', '../_base_/methods/stochnorm.py']
#     model = _base_.stochnorm.model
# Every BN layer of the backbone normalises each channel with the batch
# statistics with probability 0.5, else with the moving ones.
stochnorm = dict(
    model=dict(
        type='FineTuningClassifier',
        regularizers=dict(stochnorm=dict(type='StochNormRegularizer', p=0.5))))
