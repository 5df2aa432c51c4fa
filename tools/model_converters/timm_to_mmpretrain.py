r"""Convert timm ViT, Swin or ConvNeXt ImageNet weights to mmpretrain.

The architecture (vit, swin, convnext) is told from the keys; ``--arch``
forces it. The 1000-class classifier is kept (``head.layers.head.*`` for
ViT, ``head.fc.*`` for Swin and ConvNeXt) so that Co-tuning can use it as
its source head; the rest becomes ``backbone.*``. The tool prints the
mmpretrain model the result loads into (``strict=True``) with the source
model's logits: the settings that matter are listed in
``mmft/utils/convert/{vit,swin,convnext}.py``. Swin takes both timm layouts
(timm >= 0.9 and the older one of the official checkpoints).

Usage::

    # model.safetensors of timm/vit_base_patch16_224.augreg2_in21k_ft_in1k
    # (or timm/swin_tiny_patch4_window7_224.ms_in1k,
    # timm/convnext_tiny.fb_in1k), downloaded on a machine with internet
    # access; a .pth state dict works too.
    python tools/model_converters/timm_to_mmpretrain.py \
        model.safetensors checkpoints/vit-b16_timm_in1k.pth
"""
import os.path as osp
from typing import Optional, Sequence

from mmft.utils.convert.cli import main as convert_main


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the tool.

    Args:
        argv (Sequence[str], optional): ``SRC DST [--arch A] [--trust]``;
            ``sys.argv[1:]`` when None.

    Returns:
        dict: The written ``state_dict`` and ``meta``.
    """
    return convert_main('timm', argv, __doc__, osp.basename(__file__))


if __name__ == '__main__':
    main()
