"""Record the outputs of named layers during a forward pass."""
from typing import Dict, List, Sequence

import torch
import torch.nn as nn


def find_layers(root: nn.Module, names: Sequence[str],
                where: str) -> List[nn.Module]:
    """The submodules of ``root`` with these names, or a clear error.

    Args:
        root (nn.Module): The model (names are relative to it).
        names (Sequence[str]): e.g. ``['backbone.layer1.2.conv3']``.
        where (str): The config key of the names, for the message.

    Returns:
        list[nn.Module]: The layers, in the order of ``names``.
    """
    modules = dict(root.named_modules())
    missing = [name for name in names if name not in modules]
    if missing:
        layers = [
            n for n, m in modules.items()
            if isinstance(m, (nn.Conv2d, nn.Linear))
        ]
        shown = ', '.join(layers[:12] + ['...'] + layers[-12:]) \
            if len(layers) > 24 else ', '.join(layers)
        raise ValueError(
            f'{where}: the model has no layer {missing[0]!r}. Its '
            f'{len(layers)} convolution and linear layers are: {shown}')
    return [modules[name] for name in names]


class LayerRecorder:
    """Keeps the outputs of some layers of a module while it is active.

    Forward hooks on the named layers store each output under its name in
    :attr:`outputs`, but only inside ``with recorder:``, so evaluation,
    other passes and copies of the module (which do not carry the hooks,
    see :func:`frozen_copy`) record nothing.

    Args:
        root (nn.Module): The module whose layers are recorded.
        names (Sequence[str]): Layer names relative to ``root``.
        where (str): Config key of the names, for error messages.
    """

    def __init__(self, root: nn.Module, names: Sequence[str],
                 where: str) -> None:
        self.names = list(names)
        self.outputs: Dict[str, torch.Tensor] = {}
        self.active = False
        for name, layer in zip(self.names, find_layers(root, names, where)):
            layer.register_forward_hook(self._hook(name))

    def _hook(self, name: str):

        def record(module: nn.Module, args: tuple,
                   output: torch.Tensor) -> None:
            if self.active:
                self.outputs[name] = output

        return record

    def __enter__(self) -> 'LayerRecorder':
        self.outputs = {}
        self.active = True
        return self

    def __exit__(self, *exc) -> None:
        self.active = False
