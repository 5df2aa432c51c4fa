"""UFT cores: queue InfoNCE, the mixed-query loss and the query mixer."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmft.models.utils import QueryMixer, mixed_query_loss, queue_infonce


def unit(*shape):
    return F.normalize(torch.randn(*shape), dim=-1)


def reference(query, pos, queue, tau):
    """Per sample: CE over [pos, negatives] with target 0 (MoCo)."""
    out = []
    for q, k in zip(query, pos):
        logits = torch.cat([(q @ k)[None], queue @ q]) / tau
        out.append(F.cross_entropy(logits[None], torch.zeros(1).long()))
    return torch.stack(out)


def test_infonce_equals_the_per_sample_reference_with_gradients():
    torch.manual_seed(0)
    q = unit(6, 8).requires_grad_()
    k, queue = unit(6, 8), unit(20, 8)
    got = queue_infonce(q, k, queue, 0.2)
    want = reference(q, k, queue, 0.2)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
    weights = torch.rand(6)
    (g1, ) = torch.autograd.grad((got * weights).sum(), q)
    (g2, ) = torch.autograd.grad((want * weights).sum(), q)
    torch.testing.assert_close(g1, g2, atol=1e-6, rtol=1e-5)


def test_mixed_loss_is_eq6():
    torch.manual_seed(1)
    zm = unit(5, 8).requires_grad_()
    k, queue = unit(5, 8), unit(30, 8)
    b = torch.tensor([3, 0, 4, 1, 2])
    lam = 0.3
    got = mixed_query_loss(zm, k, k[b], lam, queue, 0.2)
    want = (lam * reference(zm, k, queue, 0.2) +
            (1 - lam) * reference(zm, k[b], queue, 0.2)).mean()
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
    (g1, ) = torch.autograd.grad(got, zm)
    (g2, ) = torch.autograd.grad(want, zm)
    torch.testing.assert_close(g1, g2, atol=1e-6, rtol=1e-5)
    # lam = 1: the plain InfoNCE of the first key; symmetric in (a, b, lam)
    torch.testing.assert_close(
        mixed_query_loss(zm, k, k[b], 1.0, queue),
        queue_infonce(zm, k, queue).mean())
    torch.testing.assert_close(
        mixed_query_loss(zm, k, k[b], lam, queue),
        mixed_query_loss(zm, k[b], k, 1 - lam, queue))
    # equal keys: independent of lam
    torch.testing.assert_close(
        mixed_query_loss(zm, k, k, 0.1, queue),
        mixed_query_loss(zm, k, k, 0.9, queue))


def test_queue_can_be_updated_before_backward():
    torch.manual_seed(2)
    q = unit(4, 8).requires_grad_()
    k, queue = unit(4, 8), unit(16, 8)
    before = queue.clone()
    loss = queue_infonce(q, k, queue).mean()
    queue[:4] = k  # MoCo's enqueue, in place
    loss.backward()
    (want, ) = torch.autograd.grad(queue_infonce(q, k, before).mean(), q)
    torch.testing.assert_close(q.grad, want)


def test_cutmix_lambda_is_the_kept_area_and_input_is_untouched():
    torch.manual_seed(3)
    mixer = QueryMixer(alpha=1.0)
    x = torch.cat([torch.zeros(1, 3, 17, 23), torch.ones(1, 3, 17, 23)])
    for _ in range(50):
        checksum = x.sum().item()
        mixed, a, b, lam = mixer(x)
        assert x.sum().item() == checksum
        for row, (i, j) in enumerate(zip(a.tolist(), b.tolist())):
            kept = int((mixed[row] == x[i]).all(0).sum())
            if i != j:  # exact: the box has integer coordinates
                assert kept == round(lam * 17 * 23)
    assert sorted(b.tolist()) == [0, 1]


def test_pairings_and_mixup():
    torch.manual_seed(4)
    x = torch.randn(6, 3, 8, 8)
    mixed, a, b, lam = QueryMixer(pairing='single_pair')(x)
    assert mixed.shape == (1, 3, 8, 8) and a.item() != b.item()
    _, a, b, _ = QueryMixer(pairing='reverse')(x)
    assert b.tolist() == [5, 4, 3, 2, 1, 0]
    mixed, a, b, lam = QueryMixer(type='mixup')(x)
    torch.testing.assert_close(mixed, lam * x[a] + (1 - lam) * x[b])


@pytest.mark.parametrize('alpha', [1.0, 0.3])
def test_lambda_follows_beta_alpha_alpha(alpha):
    """MixUp's lam is the drawn lam0 ~ Beta(alpha, alpha): mean 1/2,
    variance 1 / (4 (2 alpha + 1)) (1/12 for alpha = 1, a uniform lam0)."""
    torch.manual_seed(5)
    mixer = QueryMixer(type='mixup', alpha=alpha, pairing='reverse')
    x = torch.zeros(2, 1, 4, 4)
    lams = torch.tensor([mixer(x)[3] for _ in range(4000)])
    assert abs(lams.mean().item() - 0.5) < 0.02
    assert abs(lams.var().item() - 1 / (4 * (2 * alpha + 1))) < 0.01


def test_cutmix_lambda_is_the_box_of_the_drawn_one():
    """The same draws of lam0 (same seed; 'reverse' pairing draws nothing
    else from torch): CutMix's lam is the kept area of the box for lam0
    (side sqrt(1 - lam0), rounded down, clipped), so lam0 or more."""
    x = torch.zeros(2, 1, 32, 32)
    cutmix = QueryMixer(alpha=1.0, pairing='reverse')
    mixup = QueryMixer(type='mixup', alpha=1.0, pairing='reverse')
    torch.manual_seed(6)
    drawn = [mixup(x)[3] for _ in range(200)]
    torch.manual_seed(6)
    np.random.seed(6)  # the box centres
    kept = [cutmix(x)[3] for _ in range(200)]
    np.random.seed(6)
    assert kept == [cutmix.box(32, 32, d)[4] for d in drawn]
    assert all(k >= d for k, d in zip(kept, drawn))
    assert sum(k > d + 0.1 for k, d in zip(kept, drawn)) > 20  # clipped


@pytest.mark.parametrize('kwargs,key', [(dict(type='cut'), 'mix.type'),
                                        (dict(alpha=0), 'mix.alpha'),
                                        (dict(pairing='x'), 'mix.pairing')])
def test_bad_arguments(kwargs, key):
    with pytest.raises(ValueError, match=key):
        QueryMixer(**kwargs)
