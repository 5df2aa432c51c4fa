"""QueryMixer's CutMix box is mmpretrain's, and its draws are seeded."""
import math

import numpy as np
import torch
from mmpretrain.models.utils.batch_augments import CutMix

from mmft.models.utils import QueryMixer
from mmft.runtime.loops import seed_iteration


def test_box_is_mmpretrains_cutmix_box():
    mixer = QueryMixer()
    for seed, (height, width, lam0) in enumerate([(17, 23, 0.3), (32, 32, 0.9),
                                                  (8, 5, 0.01)]):
        np.random.seed(seed)
        y1, y2, x1, x2, lam = mixer.box(height, width, lam0)
        np.random.seed(seed)
        (b1, b2, a1, a2), want = CutMix(alpha=1.0).cutmix_bbox_and_lam(
            (height, width), lam0)
        assert (y1, y2, x1, x2, lam) == (b1, b2, a1, a2, want)
        assert all(isinstance(v, int) for v in (y1, y2, x1, x2))
        # at most the unclipped box, side sqrt(1 - lam0) of the image
        ratio = math.sqrt(1 - lam0)
        assert y2 - y1 <= 2 * (int(height * ratio) // 2)
        assert x2 - x1 <= 2 * (int(width * ratio) // 2)
        assert lam == 1 - (y2 - y1) * (x2 - x1) / (height * width)


def test_mixing_is_fixed_by_the_iteration_seed():
    """The training loop seeds numpy and torch every iteration
    (``seed_iteration``), which fixes the pairs, lam and the box."""
    x = torch.randn(4, 3, 16, 16)
    mixer = QueryMixer()
    seed_iteration(0, 5)
    first = mixer(x)
    seed_iteration(0, 5)
    again = mixer(x)
    torch.testing.assert_close(first[0], again[0])
    assert [t.tolist() for t in first[1:3]] == [t.tolist() for t in again[1:3]]
    assert first[3] == again[3]
