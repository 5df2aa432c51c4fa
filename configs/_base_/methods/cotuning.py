# Co-tuning (You et al., NeurIPS 2020) with TLlib's defaults, as a delta on
# a plain fine-tuning (ERM) config:
#     _base_ = ['../erm/r50_cub.py', '../_base_/methods/cotuning.py']
#     model = _base_.cotuning.model
# The head keeps the pretrained classifier (found in the backbone's
# pretrained checkpoint) as a source head trained on the soft labels
# relationship[y] (lambda 2.3); default_hooks.relationship learns the
# relationship before training (default_runtime.py).
cotuning = dict(
    model=dict(
        type='FineTuningClassifier',
        head=dict(
            type='CoTuningHead',
            num_source_classes=1000,
            source_loss=dict(
                type='CrossEntropyLoss', use_soft=True, loss_weight=2.3))))
