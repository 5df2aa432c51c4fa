"""The calibration scale of Co-tuning's reverse relationship (method notes,
section 3.3): one scalar s that calibrates the held-out logits of the
fitted logistic regression, as the official code's ``calibrate``."""
import numpy as np
import torch
import torch.nn.functional as F


def calibration_scale(scores: torch.Tensor,
                      labels: torch.Tensor,
                      limit: float = 1e4) -> float:
    """The calibration scale s of the reverse estimate: the minimiser of the
    mean NLL of ``s * scores``, or the official fit's scale where the NLL has
    no minimiser.

    The NLL is convex in s. It has a finite minimiser unless every sample's
    own score is the largest of its row (or every one the smallest): scores
    that separate the held-out labels, where the NLL falls for ever (or is
    constant). With a minimiser, we find it exactly in float64: its slope is
    non-decreasing, so its root is bracketed by doubling steps from 0 and
    found by Brent's method (the official code's LBFGS reaches it too when
    it converges). Without one, s is where the official fit stops
    (:func:`official_scale`), since no other point is better.

    Args:
        scores (Tensor): ``[N, C]`` uncalibrated logits.
        labels (Tensor): ``[N]`` labels.
        limit (float): Largest ``|s|`` tried when bracketing a minimiser.
            Defaults to 1e4.

    Returns:
        float: The calibration scale s.
    """
    from scipy.optimize import brentq

    scores = scores.double()
    own = scores.gather(1, labels.long()[:, None])[:, 0]
    separable = (own == scores.amax(1)).all() | (own == scores.amin(1)).all()
    if separable:  # no minimiser
        return official_scale(scores, labels)

    def slope(s: float) -> float:
        probs = F.softmax(s * scores, dim=1)
        return float(((probs * scores).sum(1) - own).mean())

    start = slope(0.0)
    if start == 0:
        return 0.0
    near, far = 0.0, -1.0 if start > 0 else 1.0
    while slope(far) * far < 0:  # still downhill beyond `far`
        if abs(far) >= limit:
            return far
        near, far = far, 2 * far
    low, high = sorted((near, far))
    root = brentq(slope, low, high, xtol=1e-14, rtol=4 * np.finfo(float).eps)
    return float(root)


def official_scale(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Where the official calibration stops: s from 1 by PyTorch's LBFGS
    with its defaults (lr 1, 20 iterations a step, no line search, stop at a
    gradient below 1e-7 or a change below 1e-9) on the float32 NLL, for at
    most 20 steps, ending after the first step that stops before its 20
    iterations (the count is cumulative over steps).

    Args:
        scores (Tensor): ``[N, C]`` uncalibrated logits (cast to float32).
        labels (Tensor): ``[N]`` labels.

    Returns:
        float: The scale s (a float32 value).
    """
    scores = scores.float()
    labels = labels.long()
    scale = torch.ones(1, 1, requires_grad=True)
    optimizer = torch.optim.LBFGS([scale])

    def nll() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(scores * scale, labels)
        loss.backward()
        return loss

    with torch.enable_grad():
        for _ in range(20):
            optimizer.step(nll)
            if optimizer.state[scale]['n_iter'] < 20:
                break
    return float(scale.item())
