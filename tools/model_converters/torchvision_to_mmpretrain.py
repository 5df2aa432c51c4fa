r"""Convert torchvision ViT, Swin or ConvNeXt ImageNet weights to mmpretrain.

The architecture (vit, swin, convnext) is told from the keys; ``--arch``
forces it. The 1000-class classifier is kept (``head.layers.head.*`` for
ViT, ``head.fc.*`` for Swin and ConvNeXt) so that Co-tuning can use it as
its source head; the rest becomes ``backbone.*``. The tool prints the
mmpretrain model the result loads into (``strict=True``) with the source
model's logits: the settings that matter are listed in
``mmft/utils/convert/{vit,swin,convnext}.py``. ResNets have their own tool,
``torchvision_resnet_to_mmpretrain.py``.

Usage::

    # vit_b_16-c867db91.pth is torchvision's ViT_B_16_Weights.IMAGENET1K_V1
    # (swin_t-704ceda3.pth, convnext_tiny-983f1562.pth likewise),
    # downloaded on a machine with internet access.
    python tools/model_converters/torchvision_to_mmpretrain.py \
        vit_b_16-c867db91.pth checkpoints/vit-b16_tv_in1k.pth
    python tools/model_converters/torchvision_to_mmpretrain.py \
        swin_t-704ceda3.pth checkpoints/swin-t_tv_in1k.pth --arch swin
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
    return convert_main('torchvision', argv, __doc__, osp.basename(__file__))


if __name__ == '__main__':
    main()
