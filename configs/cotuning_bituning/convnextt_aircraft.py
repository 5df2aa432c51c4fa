# Co-tuning + Bi-tuning (an mmft composition), ConvNeXt-T (supervised
# ImageNet-1k, torchvision), AdamW + layer decay, FGVC Aircraft:
# configs/_base_/methods/bituning.py on
# configs/cotuning/convnextt_aircraft.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../cotuning/convnextt_aircraft.py', '../_base_/methods/bituning.py']
model = _base_.bituning.model
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=_base_.train_pipeline_2views)))
