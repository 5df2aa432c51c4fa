"""Train and test in the channels_last memory format."""
from typing import Any

import torch
from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from mmft.registry import HOOKS


def to_channels_last(inputs: Any) -> Any:
    """4-D tensors (also inside a list of views) in channels_last."""
    if isinstance(inputs, torch.Tensor) and inputs.dim() == 4:
        return inputs.contiguous(memory_format=torch.channels_last)
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(to_channels_last(x) for x in inputs)
    return inputs


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Put the model's 4-D weights and every batch in channels_last.

    NHWC is usually the faster layout for convolutions on GPUs with AMP
    (tensor cores) and with oneDNN on CPUs; ``benchmarks/methods_speed.py``
    times every method in both. Turn it on with ``default_hooks = dict(
    channels_last=dict(type='ChannelsLastHook'))`` (the demo configs do): a
    dict entry merges with the runtime's other hooks, where a
    ``custom_hooks`` list in a leaf would replace its base's list.

    In ``before_run`` the model's parameters and buffers are converted in
    place (the optimizer keeps them), and a forward hook on the data
    preprocessor (PyTorch's ``register_forward_hook``: nothing of the
    preprocessor is replaced) makes its output ``inputs`` channels_last for
    training, validation and testing.
    Under DDP the model is wrapped before hooks run, so its gradient buckets
    keep the NCHW layout and PyTorch copies each gradient into them (it may
    warn once about grad strides); results are the same.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        """Convert the model and its data preprocessor's output."""
        model = get_ori_model(runner.model)
        model.to(memory_format=torch.channels_last)
        preprocessor = model.data_preprocessor
        if getattr(preprocessor, '_channels_last', False):
            return
        preprocessor.register_forward_hook(channels_last_output)
        preprocessor._channels_last = True


def channels_last_output(module: torch.nn.Module, args: tuple,
                         data: dict) -> dict:
    """A forward hook: the preprocessed ``inputs`` in channels_last."""
    data['inputs'] = to_channels_last(data['inputs'])
    return data
