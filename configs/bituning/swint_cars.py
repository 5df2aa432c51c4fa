# Bi-tuning, Swin-T (supervised ImageNet-1k, torchvision), AdamW + layer
# decay, Stanford Cars: configs/_base_/methods/bituning.py on
# configs/erm/swint_cars.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/swint_cars.py', '../_base_/methods/bituning.py']
model = _base_.bituning.model
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=_base_.train_pipeline_2views)))
