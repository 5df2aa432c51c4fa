# Bi-tuning, ViT-B/16 supervised ImageNet-1k (torchvision), FGVC Aircraft,
# AdamW + layer decay.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = [
    '../_base_/models/vit_b16_bituning.py',
    '../_base_/datasets/aircraft_bs48_224.py',
    '../_base_/schedules/layerdecay_adamw_coslr_10k.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=100), projector=dict(num_classes=100))
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline={{_base_.train_pipeline_2views}})))
