# Bi-tuning from a MoCo ResNet-50, TLlib's MoCo recipe, CUB-200-2011:
# configs/_base_/methods/bituning.py on configs/erm/r50_moco_cub.py.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = ['../erm/r50_moco_cub.py', '../_base_/methods/bituning.py']
model = _base_.bituning.model
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=_base_.train_pipeline_2views)))
