# Co-tuning's delta for the tiny source classifier (5 classes).
_base_ = ['../../../configs/_base_/methods/cotuning.py']
cotuning = dict(model=dict(head=dict(num_source_classes=5)))
