# Co-tuning + Bi-tuning on CUB-200-2011 (ResNet-50, supervised ImageNet).
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = [
    '../_base_/models/resnet50_cotuning_bituning.py',
    '../_base_/datasets/cub_bs48_224.py',
    '../_base_/schedules/tllib_sgd_10k.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=200), projector=dict(num_classes=200))
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline={{_base_.train_pipeline_2views}})))
