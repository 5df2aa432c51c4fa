# Plain fine-tuning (ERM) of ViT-B/16, supervised ImageNet-1k (torchvision),
# on CUB-200-2011 with AdamW + layer decay: the baseline of
# configs/{cotuning,bituning,cotuning_bituning}/vitb16_cub.py.
_base_ = [
    '../_base_/models/vit_b16_erm.py',
    '../_base_/datasets/cub_bs48_224.py',
    '../_base_/schedules/layerdecay_adamw_coslr_10k.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=200))
