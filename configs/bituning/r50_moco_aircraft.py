# Bi-tuning from a MoCo (v1 or v2) ResNet-50, TLlib's MoCo recipe. Convert
# the MoCo checkpoint first (see README.md in this folder).
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = [
    '../_base_/models/resnet50_bituning.py',
    '../_base_/datasets/aircraft_bs48_224.py',
    '../_base_/schedules/tllib_sgd_24k_moco.py',
    '../_base_/default_runtime.py',
]
pretrained = 'checkpoints/resnet50_moco_in1k.pth'
model = dict(
    backbone=dict(init_cfg=dict(checkpoint=pretrained)),
    head=dict(num_classes=100),
    projector=dict(num_classes=100))
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline={{_base_.train_pipeline_2views}})))
