# Plain fine-tuning baseline of configs/cotuning/effnetlite0_digits.py.
_base_ = [
    '../_base_/models/efficientnet_lite0_erm.py',
    '../_base_/datasets/digits_bs32_64.py',
    '../_base_/schedules/demo_sgd_300.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=10))
train_dataloader = dict(dataset=dict(ratio=0.1))
default_hooks = dict(
    channels_last=dict(type='ChannelsLastHook'),  # 1.7x faster on 2 CPU cores
    logger=dict(interval=25),
    checkpoint=dict(interval=100))
