# K-shot transfer from a finetuned ResNet-50 (UFT's main protocol).
_base_ = [
    '../../_base_/models/resnet50_fewshot.py',
    '../../_base_/datasets/fewshot_caltech101.py',
    '../../_base_/schedules/fewshot_sgd_30e.py',
    '../../_base_/epoch_runtime.py',
]
model = dict(head=dict(num_classes=102))
