# Bi-tuning, ResNet-50 (supervised ImageNet-1k, torchvision), TLlib's SGD
# recipe, FGVC Aircraft: configs/_base_/methods/bituning.py on
# configs/erm/r50_aircraft.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/r50_aircraft.py', '../_base_/methods/bituning.py']
model = _base_.bituning.model
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=_base_.train_pipeline_2views)))
