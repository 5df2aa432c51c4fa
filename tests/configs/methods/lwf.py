# LwF's delta for the tiny source classifier (5 classes).
_base_ = ['../../../configs/_base_/methods/lwf.py']
lwf = dict(model=dict(regularizers=dict(lwf=dict(num_source_classes=5))))
