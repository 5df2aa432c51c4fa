# Bi-tuning (Zhong et al., 2020) with TLlib's defaults, as a delta on a plain
# fine-tuning (ERM) config:
#     _base_ = ['../erm/r50_cub.py', '../_base_/methods/bituning.py']
#     model = _base_.bituning.model
#     train_dataloader = dict(
#         dataset=dict(dataset=dict(pipeline=_base_.train_pipeline_2views)))
# A momentum key encoder (m 0.999) of the backbone, neck and projection; a
# contrastive CE term on the classifier and a one-layer 128-d projector with
# the categorical contrastive loss, K = 40 keys per class, tau 0.07, lambda
# 1 each. The key encoder reads a second view of every image (the datasets'
# train_pipeline_2views); default_hooks.momentum_encoder drives it.
bituning = dict(
    model=dict(
        type='FineTuningClassifier',
        key_encoder=dict(momentum=0.999),
        regularizers=dict(
            cce=dict(
                type='ContrastiveCELoss',
                queue_size=40,
                temperature=0.07,
                loss_weight=1.0),
            projector=dict(
                type='ProjectorHead',
                out_channels=128,
                loss=dict(
                    type='CategoricalContrastiveLoss',
                    queue_size=40,
                    temperature=0.07,
                    loss_weight=1.0)))))
