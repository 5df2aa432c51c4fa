# Learning without Forgetting (Li and Hoiem, ECCV 2016) as TLlib runs it
# (lwf.py), as a delta on a plain fine-tuning config:
#     _base_ = ['../erm/r50_cub.py', '../_base_/methods/lwf.py']
#     model = _base_.lwf.model
# 4 x KL(pretrained classifier on the starting point's features ||
# pretrained classifier on the fine-tuned features) at temperature 3; the
# pretrained classifier (from the backbone's pretrained checkpoint) stays
# frozen. TLlib's scripts use lr 0.001 on CUB at 15-50 % and on Aircraft.
lwf = dict(
    model=dict(
        type='FineTuningClassifier',
        starting_point=True,
        regularizers=dict(
            lwf=dict(
                type='LWFRegularizer',
                num_source_classes=1000,
                temperature=3.0,
                loss_weight=4.0))))
