# Co-tuning + Bi-tuning (an mmft composition), ViT-B/16 (supervised
# ImageNet-1k, torchvision), AdamW + layer decay, CUB-200-2011:
# configs/_base_/methods/bituning.py on configs/cotuning/vitb16_cub.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../cotuning/vitb16_cub.py', '../_base_/methods/bituning.py']
model = _base_.bituning.model
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=_base_.train_pipeline_2views)))
