"""Every mmft loss, queue and custom autograd Function under autocast gives
float32's values and gradients, within the tolerance of the autocast dtype.

On the CPU that is bfloat16 (what ``tools/train.py --amp`` uses there); on
CUDA float16 (MMEngine's AmpOptimWrapper), when a GPU is present. The inputs
are what autocast hands a loss: features in the low dtype. Tolerance: the
loss to ``LOSS_RTOL`` relatively, every gradient to ``GRAD_TOL`` of the
largest reference gradient; bfloat16 keeps 8 mantissa bits (0.4 %).
"""
import pytest
import torch
import torch.nn.functional as F

from mmft.models.utils import (PerClassQueue, categorical_contrastive_loss,
                               contrastive_cross_entropy_loss,
                               mixed_query_loss, queue_infonce)

LOSS_RTOL = 2e-2
GRAD_TOL = 5e-2
DEVICES = [
    ('cpu', torch.bfloat16),
    pytest.param(
        'cuda',
        torch.float16,
        marks=pytest.mark.skipif(
            not torch.cuda.is_available(), reason='needs a GPU')),
]


def normalised(*shape, device):
    return F.normalize(torch.randn(*shape), dim=-1).to(device)


def compare(fn, inputs, device, dtype):
    """fn(*inputs) in float32, and under autocast with ``dtype`` inputs."""
    ref_in = [x.clone().requires_grad_(x.is_floating_point()) for x in inputs]
    ref = fn(*ref_in)
    ref.backward()
    amp_in = [
        (x.to(dtype) if x.is_floating_point() else x).clone().requires_grad_(
            x.is_floating_point()) for x in inputs
    ]
    with torch.autocast(device, dtype=dtype):
        out = fn(*amp_in)
    out.backward()
    assert out.dtype == torch.float32  # queue losses compute in float32
    assert abs(out.item() - ref.item()) <= LOSS_RTOL * abs(ref.item()), \
        (out.item(), ref.item())
    for a, r in zip(amp_in, ref_in):
        if r.grad is None:
            continue
        assert a.grad.dtype == dtype
        err = (a.grad.float() - r.grad).abs().max().item()
        assert err <= GRAD_TOL * r.grad.abs().max().item(), err


@pytest.mark.parametrize('device,dtype', DEVICES)
def test_bituning_losses(device, dtype):
    torch.manual_seed(0)
    num, size, dim, batch = 6, 5, 16, 12
    labels = torch.randint(0, num, (batch, ), device=device)
    queue = normalised(num, size, dim, device=device)
    compare(lambda q, k: categorical_contrastive_loss(q, k, queue, labels), [
        normalised(batch, dim, device=device),
        normalised(batch, dim, device=device)
    ], device, dtype)
    weight = normalised(num, dim, device=device)
    compare(lambda h: contrastive_cross_entropy_loss(h, weight, queue, labels),
            [normalised(batch, dim, device=device)], device, dtype)


@pytest.mark.parametrize('device,dtype', DEVICES)
def test_uft_losses(device, dtype):
    torch.manual_seed(1)
    queue = normalised(256, 32, device=device)
    compare(
        lambda q, k: queue_infonce(q, k, queue).mean(),
        [normalised(8, 32, device=device),
         normalised(8, 32, device=device)], device, dtype)
    compare(lambda m, a, b: mixed_query_loss(m, a, b, 0.3, queue),
            [normalised(8, 32, device=device)] +
            [normalised(8, 32, device=device)
             for _ in range(2)], device, dtype)


@pytest.mark.parametrize('device,dtype', DEVICES)
def test_cotuning_source_term(device, dtype):
    """Soft-label CE of the source head against relationship rows."""
    torch.manual_seed(2)
    relationship = torch.softmax(torch.randn(4, 10), 1).to(device)
    labels = torch.randint(0, 4, (6, ), device=device)
    fc = torch.nn.Linear(16, 10).to(device)

    def source_loss(feats):
        logits = fc(feats)
        return -(relationship[labels] *
                 logits.float().log_softmax(1)).sum(1).mean()

    compare(source_loss, [torch.randn(6, 16, device=device)], device, dtype)


@pytest.mark.parametrize('device,dtype', DEVICES)
def test_queues_store_low_precision_keys_in_float32(device, dtype):
    queue = PerClassQueue(3, 4, 8).to(device)
    keys = normalised(5, 8, device=device).to(dtype)
    with torch.autocast(device, dtype=dtype):
        queue.enqueue(keys, torch.tensor([0, 1, 1, 2, 0], device=device))
    assert queue.queue.dtype == torch.float32
    torch.testing.assert_close(queue.queue[1, :2], keys[1:3].float())
