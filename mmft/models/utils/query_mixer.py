"""CutMix / MixUp of query views for Unsupervised Finetuning (Eq. 5)."""
from typing import Tuple

import torch
from mmpretrain.models.utils.batch_augments import CutMix

from mmft.registry import BATCH_AUGMENTS


@BATCH_AUGMENTS.register_module()
class QueryMixer:
    """Mix query views within a batch, on a copy.

    ``x_m = M * x_a + (1 - M) * x_b``: CutMix pastes a box of the partner b
    into a (the box side is ``sqrt(1 - lam0)`` of the image with
    ``lam0 ~ Beta(alpha, alpha)``, centred uniformly, clipped to the image);
    the returned ``lam`` is the area kept from a after clipping. MixUp blends
    the whole images with ``lam0``. One lam per call.

    Args:
        type (str): 'cutmix' (default) or 'mixup'.
        alpha (float): Beta parameter. Defaults to 1.0.
        pairing (str): 'batch_perm' (every sample i with pi(i) for a random
            permutation pi, default), 'single_pair' (one random pair a != b:
            the paper's literal reading) or 'reverse' (i with N-1-i, as
            Un-Mix).
    """

    def __init__(self,
                 type: str = 'cutmix',
                 alpha: float = 1.0,
                 pairing: str = 'batch_perm') -> None:
        if type not in ('cutmix', 'mixup'):
            raise ValueError("QueryMixer: model.mix.type must be 'cutmix' or "
                             f"'mixup', got {type!r}")
        if not alpha > 0:
            raise ValueError(f'QueryMixer: model.mix.alpha must be > 0, got '
                             f'{alpha!r}')
        if pairing not in ('batch_perm', 'single_pair', 'reverse'):
            raise ValueError(
                "QueryMixer: model.mix.pairing must be 'batch_perm', "
                f"'single_pair' or 'reverse', got {pairing!r}")
        self.type = type
        self.alpha = float(alpha)
        self.pairing = pairing
        self._beta = torch.distributions.Beta(
            torch.tensor(self.alpha), torch.tensor(self.alpha))
        self._cutmix = CutMix(alpha=self.alpha)  # its box maths only

    def pairs(self, num: int,
              device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
        """Indices ``(a, b)`` of the mixed pairs."""
        if self.pairing == 'single_pair':
            if num < 2:
                raise ValueError('QueryMixer: single_pair needs a batch of 2+')
            a, b = torch.randperm(num)[:2].tolist()
            return (torch.tensor([a], device=device),
                    torch.tensor([b], device=device))
        first = torch.arange(num, device=device)
        if self.pairing == 'reverse':
            return first, first.flip(0)
        return first, torch.randperm(num).to(device)

    def box(self, height: int, width: int,
            lam0: float) -> Tuple[int, int, int, int, float]:
        """Clipped CutMix box ``(y1, y2, x1, x2)`` and the kept area.

        mmpretrain's ``CutMix.cutmix_bbox_and_lam`` (``correct_lam=True``);
        its box centre comes from numpy's global generator, which mmft's
        training loop seeds every iteration.
        """
        (y1, y2, x1, x2), lam = self._cutmix.cutmix_bbox_and_lam(
            (height, width), lam0)
        return int(y1), int(y2), int(x1), int(x2), float(lam)

    def __call__(
        self, inputs: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
        """Mix ``[N, C, H, W]`` queries; the input is left untouched.

        Returns:
            tuple: mixed ``[S, C, H, W]``, indices ``a`` and ``b`` ``[S]``
            of the mixed pairs, and ``lam`` (the share of ``a``).
        """
        a, b = self.pairs(inputs.shape[0], inputs.device)
        lam0 = float(self._beta.sample())
        if self.type == 'mixup':
            return (lam0 * inputs[a] + (1 - lam0) * inputs[b], a, b, lam0)
        y1, y2, x1, x2, lam = self.box(inputs.shape[2], inputs.shape[3], lam0)
        mixed = inputs[a]  # advanced indexing: a copy
        mixed[:, :, y1:y2, x1:x2] = inputs[:, :, y1:y2, x1:x2][b]
        return mixed, a, b, lam
