# Plain fine-tuning (ERM) of ConvNeXt-T, supervised ImageNet-1k (torchvision),
# on Stanford Cars with AdamW + layer decay: the baseline of
# configs/{cotuning,bituning,cotuning_bituning}/convnextt_cars.py.
_base_ = [
    '../_base_/models/convnext_t_erm.py',
    '../_base_/datasets/cars_bs48_224.py',
    '../_base_/schedules/layerdecay_adamw_coslr_10k.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=196))
