# Co-tuning + Bi-tuning (an mmft composition), ResNet-50 (supervised
# ImageNet-1k, torchvision), TLlib's SGD recipe, CUB-200-2011:
# configs/_base_/methods/bituning.py on configs/cotuning/r50_cub.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../cotuning/r50_cub.py', '../_base_/methods/bituning.py']
model = _base_.bituning.model
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=_base_.train_pipeline_2views)))
