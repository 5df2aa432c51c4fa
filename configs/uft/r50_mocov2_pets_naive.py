# Naive unsupervised finetuning: MoCo v2 continued on the target alone.
_base_ = [
    '../_base_/models/resnet50_uft_mocov2.py',
    '../_base_/datasets/uft_pets.py',
    '../_base_/schedules/uft_sgd_coslr_200e.py',
    '../_base_/epoch_runtime.py',
]
