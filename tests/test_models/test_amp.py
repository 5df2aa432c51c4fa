"""Every mmft loss, queue, regularizer core and custom autograd Function
under autocast gives float32's values and gradients, within the tolerance of
the autocast dtype.

On the CPU that is bfloat16 (what ``tools/train.py --amp`` uses there); on
CUDA float16 (MMEngine's AmpOptimWrapper), when a GPU is present. The inputs
are what autocast hands a loss: features in the low dtype, parameters and
buffers (L2-SP's weights and anchors, DELTA's attention) in float32, as
autocast leaves them. Tolerance: the loss to ``LOSS_RTOL`` relatively, every
gradient to ``GRAD_TOL`` of the largest reference gradient; bfloat16 keeps 8
mantissa bits (0.4 %).
"""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

import mmft.models  # noqa: F401
from mmft.models.utils import (PerClassQueue, categorical_contrastive_loss,
                               contrastive_cross_entropy_loss,
                               mixed_query_loss, queue_infonce)
from mmft.models.utils.distillation import distillation_loss
from mmft.models.utils.feature_distance import attention_feature_distance
from mmft.models.utils.parameter_distance import half_squared_distance
from mmft.models.utils.spectral import smallest_singular_values_sq
from mmft.models.utils.stochnorm import StochNorm2d
from mmft.registry import MODELS

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


def compare(fn, inputs, device, dtype, float32=()):
    """fn(*inputs) in float32, and under autocast with ``dtype`` inputs (but
    those at the indices ``float32``, which stay float32)."""
    ref_in = [x.clone().requires_grad_(x.is_floating_point()) for x in inputs]
    ref = fn(*ref_in)
    ref.backward()
    amp_in = [(x.to(dtype) if x.is_floating_point() and i not in float32 else
               x).clone().requires_grad_(x.is_floating_point())
              for i, x in enumerate(inputs)]
    with torch.autocast(device, dtype=dtype):
        out = fn(*amp_in)
    out.backward()
    assert out.dtype == torch.float32  # the losses compute in float32
    assert_close(out, ref, LOSS_RTOL)
    checked = 0
    for a, r in zip(amp_in, ref_in):
        if r.grad is None:
            continue
        assert a.grad.dtype == a.dtype
        assert_close(a.grad, r.grad, GRAD_TOL)
        checked += 1
    assert checked > 0  # some input of each loss gets a gradient


def assert_close(got, want, tol):
    """Within ``tol`` of the largest magnitude of ``want``."""
    err = (got.float() - want).abs().max().item()
    assert err <= tol * want.abs().max().item(), (err, want.abs().max())


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
def test_cotuning_head_losses(device, dtype):
    """CoTuningHead's loss: target CE and the source head's soft-label CE
    against relationship rows, from low-precision features."""
    init_default_scope('mmft')
    torch.manual_seed(2)
    head = MODELS.build(
        dict(
            type='CoTuningHead',
            num_classes=4,
            in_channels=16,
            num_source_classes=10)).to(device)
    with torch.no_grad():
        head.source_fc.weight.normal_(0, 1)  # confident source outputs
    head.set_relationship(torch.softmax(torch.randn(4, 10), 1))
    samples = [
        DataSample().set_gt_label(c).to(device) for c in [0, 3, 1, 1, 2, 0]
    ]

    def loss(feats):
        losses = head.loss((feats, ), samples)
        return losses['loss'] + losses['loss_source']

    compare(loss, [torch.randn(6, 16, device=device)], device, dtype)


@pytest.mark.parametrize('device,dtype', DEVICES)
def test_l2sp_distance(device, dtype):
    """Parameters and starting point stay float32 under autocast."""
    torch.manual_seed(3)
    shapes = [(8, 3, 3, 3), (8, ), (10, 8)]
    params = [torch.randn(s, device=device) for s in shapes]
    anchors = [p + 0.01 * torch.randn_like(p) for p in params]
    num = len(params)
    compare(
        lambda *t: half_squared_distance(t[:num], t[num:]),
        params + anchors,
        device,
        dtype,
        float32=range(2 * num))
    compare(
        lambda *t: half_squared_distance(t),
        params,
        device,
        dtype,
        float32=range(num))


@pytest.mark.parametrize('device,dtype', DEVICES)
def test_delta_feature_distance(device, dtype):
    """Layer outputs in the low dtype (a conv map and a token map), the
    channel attention a float32 buffer."""
    torch.manual_seed(4)
    conv, tokens = torch.randn(4, 6, 5, 5), torch.randn(4, 7, 6)
    inputs = [
        conv, conv + 0.3 * torch.randn_like(conv), tokens,
        tokens + 0.3 * torch.randn_like(tokens),
        torch.softmax(torch.randn(6), 0),
        torch.softmax(torch.randn(6), 0)
    ]
    compare(
        lambda t1, s1, t2, s2, a1, a2: attention_feature_distance(
            [t1, t2], [s1, s2], [a1, a2], [1, -1]),
        [x.to(device) for x in inputs],
        device,
        dtype,
        float32=(4, 5))


@pytest.mark.parametrize('device,dtype', DEVICES)
def test_bss_penalty(device, dtype):
    torch.manual_seed(5)
    for k in (1, 3):
        compare(lambda f: smallest_singular_values_sq(f, k),
                [torch.randn(8, 32, device=device)], device, dtype)


@pytest.mark.parametrize('device,dtype', DEVICES)
def test_lwf_distillation(device, dtype):
    torch.manual_seed(6)
    compare(lambda s, t: distillation_loss(s, t, 2.0), [
        3 * torch.randn(6, 10, device=device),
        3 * torch.randn(6, 10, device=device)
    ], device, dtype)


@pytest.mark.parametrize('device,dtype', DEVICES)
def test_stochnorm_layer(device, dtype):
    """A training step of StochNorm2d on a low-precision activation: the
    output (through a fixed projection), the gradients of the input, weight
    and bias, and the updated moving statistics."""
    torch.manual_seed(7)
    ref_layer = StochNorm2d(6).to(device)
    with torch.no_grad():
        ref_layer.running_mean.normal_()
        ref_layer.running_var.uniform_(0.5, 2)
        ref_layer.weight.normal_()
        ref_layer.bias.normal_()
    amp_layer = copy.deepcopy(ref_layer)
    x = torch.randn(4, 6, 5, 5, device=device) * 2 + 1
    proj = torch.randn(4, 6, 5, 5, device=device)
    runs = []
    for layer, low in ((ref_layer, False), (amp_layer, True)):
        inp = x.to(dtype if low else x.dtype).detach().requires_grad_()
        torch.manual_seed(8)  # the same channels take batch statistics
        with torch.autocast(device, dtype=dtype, enabled=low):
            out = layer.train()(inp)
        loss = (out.float() * proj).sum()
        loss.backward()
        runs.append((loss, inp.grad))
    (ref, ref_grad), (got, grad) = runs
    torch.manual_seed(8)
    assert 0 < int((torch.rand(6, device=device) < 0.5).sum()) < 6
    assert_close(got, ref, LOSS_RTOL)
    assert grad.dtype == dtype
    assert_close(grad, ref_grad, GRAD_TOL)
    for name in ('weight', 'bias'):
        assert_close(
            getattr(amp_layer, name).grad,
            getattr(ref_layer, name).grad, GRAD_TOL)
    for name in ('running_mean', 'running_var'):
        assert getattr(amp_layer, name).dtype == torch.float32
        assert_close(
            getattr(amp_layer, name), getattr(ref_layer, name), LOSS_RTOL)


@pytest.mark.parametrize('device,dtype', DEVICES)
def test_queues_store_low_precision_keys_in_float32(device, dtype):
    queue = PerClassQueue(3, 4, 8).to(device)
    keys = normalised(5, 8, device=device).to(dtype)
    with torch.autocast(device, dtype=dtype):
        queue.enqueue(keys, torch.tensor([0, 1, 1, 2, 0], device=device))
    assert queue.queue.dtype == torch.float32
    torch.testing.assert_close(queue.queue[1, :2], keys[1:3].float())
