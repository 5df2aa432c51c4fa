# Plain fine-tuning (ERM) from a MoCo (v1 or v2) ResNet-50, TLlib's MoCo
# recipe, FGVC Aircraft: the baseline of
# configs/bituning/r50_moco_aircraft.py. Convert the MoCo checkpoint first
# (configs/bituning/README.md).
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = [
    '../_base_/models/resnet50_erm.py',
    '../_base_/datasets/aircraft_bs48_224.py',
    '../_base_/schedules/tllib_sgd_24k_moco.py',
    '../_base_/default_runtime.py',
]
pretrained = 'checkpoints/resnet50_moco_in1k.pth'
model = dict(
    backbone=dict(init_cfg=dict(checkpoint=pretrained)),
    head=dict(num_classes=100))
