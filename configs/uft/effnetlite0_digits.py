# The embedded default with unsupervised finetuning: EfficientNet-Lite0's
# ImageNet weights continued with MoCo v2 on the unlabelled digits, 10 %
# photo crops replayed, CutMix-mixed queries; `python tools/demo.py` then
# compares retrieval, clustering and 4-shot transfer before and after.
_base_ = [
    '../_base_/models/efficientnet_lite0_uft_mocov2.py',
    '../_base_/datasets/uft_digits_photos.py',
    '../_base_/schedules/uft_sgd_coslr_200e.py',
    '../_base_/epoch_runtime.py',
]
model = dict(queue_len=4096)  # about 4 passes over the ~1,000 images
optim_wrapper = dict(optimizer=dict(lr=0.015))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=10,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=10)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    channels_last=dict(type='ChannelsLastHook'),  # 1.7x faster on 2 CPU cores
    logger=dict(interval=10))
