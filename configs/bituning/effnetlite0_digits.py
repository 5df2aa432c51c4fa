# The embedded default with Bi-tuning: ImageNet EfficientNet-Lite0 on 10 % of
# the digits' training half; `python tools/demo.py` runs it beside the others.
# K = 16 keys per class: the demo has about 9 labelled images a class.
_base_ = [
    '../_base_/models/efficientnet_lite0_bituning.py',
    '../_base_/datasets/digits_bs32_64.py',
    '../_base_/schedules/demo_sgd_300.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=10), projector=dict(num_classes=10))
train_dataloader = dict(
    dataset=dict(
        ratio=0.1, dataset=dict(pipeline={{_base_.train_pipeline_2views}})))
default_hooks = dict(
    channels_last=dict(type='ChannelsLastHook'),  # 1.7x faster on 2 CPU cores
    logger=dict(interval=25),
    checkpoint=dict(interval=100))
