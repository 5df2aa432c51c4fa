# Co-tuning, ViT-B/16 supervised ImageNet-1k (torchvision), Stanford Cars;
# its own ImageNet classifier is the source head. AdamW + layer decay.
# Labelled fraction: --cfg-options train_dataloader.dataset.ratio=0.15
_base_ = [
    '../_base_/models/vit_b16_cotuning.py',
    '../_base_/datasets/cars_bs48_224.py',
    '../_base_/schedules/layerdecay_adamw_coslr_10k.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=196))
