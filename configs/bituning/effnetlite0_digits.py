# Bi-tuning on the embedded digits, EfficientNet-Lite0 (ImageNet):
# configs/_base_/methods/bituning_k16.py on configs/erm/effnetlite0_digits.py.
# K = 16 keys per class (about 9 labelled images a class).
_base_ = ['../erm/effnetlite0_digits.py', '../_base_/methods/bituning_k16.py']
model = _base_.bituning.model
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=_base_.train_pipeline_2views)))
