"""The five baselines' regularizers against plain float64 references of
their papers' equations, with TLlib's defaults, on a tiny model."""
import copy
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

import mmft.models  # noqa: F401
from mmft.models.utils import (StochNorm2d, channel_attention,
                               convert_stochnorm, half_squared_distance,
                               loss_increase_per_channel,
                               smallest_singular_values_sq)
from mmft.registry import MODELS
from tests.helpers import NUM_SOURCE, ROOT, make_source_checkpoint

NUM = 3
#: The cores also run on a GPU where there is one (the device checks).
DEVICES = [
    'cpu',
    pytest.param(
        'cuda',
        marks=pytest.mark.skipif(
            not torch.cuda.is_available(), reason='no GPU'))
]


def build(config: str, source: str, **changes) -> nn.Module:
    """The model of a tiny method config, pretrained from ``source``."""
    init_default_scope('mmft')
    cfg = Config.fromfile(f'{ROOT}/tests/configs/{config}')
    cfg.model.backbone.init_cfg.checkpoint = source
    cfg.model.update(changes)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.train()


def batch(labels=(0, 1, 1, 2, 2, 2), seed=1):
    torch.manual_seed(seed)
    images = [
        torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for _ in labels
    ]
    samples = [DataSample().set_gt_label(c) for c in labels]
    return dict(inputs=images, data_samples=samples)


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    return make_source_checkpoint(
        str(tmp_path_factory.mktemp('regularizers') / 'source.pth'))


def moved(model: nn.Module, scale: float = 0.05) -> None:
    """Training moved the weights away from the starting point."""
    torch.manual_seed(2)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(scale * torch.randn_like(p))


def test_l2sp_and_the_heads_l2_are_the_papers_sums(source):
    """0.01 * 0.5 sum ||w - w0||^2 over the backbone (w0 the weights at the
    first step), 0.01 * 0.5 sum ||w||^2 over the new classifier; their
    gradients are 0.01 (w - w0) and 0.01 w."""
    model = build('tiny_l2sp.py', source)
    data = model.data_preprocessor(batch(), True)
    first = model(**data, mode='loss')
    assert first['loss_l2sp'] == 0  # the snapshot is taken at step one
    start = {k: v.double().clone() for k, v in model.state_dict().items()}
    moved(model)
    losses = model(**data, mode='loss')
    sp = sum(((p.double() - start[n])**2).sum()
             for n, p in model.named_parameters() if n.startswith('backbone.'))
    l2 = sum((p.double()**2).sum() for p in model.head.fc.parameters())
    assert float(losses['loss_l2sp']) == pytest.approx(
        0.01 * 0.5 * float(sp), rel=1e-5)
    assert float(losses['loss_head_l2']) == pytest.approx(
        0.01 * 0.5 * float(l2), rel=1e-5)
    weight = model.backbone.conv1.weight
    (grad, ) = torch.autograd.grad(losses['loss_l2sp'], weight)
    torch.testing.assert_close(
        grad.double(),
        0.01 * (weight.double() - start['backbone.conv1.weight']))
    (grad, ) = torch.autograd.grad(losses['loss_head_l2'], model.head.fc.bias)
    torch.testing.assert_close(grad, 0.01 * model.head.fc.bias)
    # the snapshot is a frozen copy: buffers, no parameters, in eval mode
    assert list(model.starting_point.parameters()) == []
    assert not model.starting_point.training
    assert model.training


@pytest.mark.parametrize('device', DEVICES)
def test_half_squared_distance_is_the_sum_and_its_gradient(device):
    torch.manual_seed(0)
    params = [
        torch.randn(3, 4, device=device, requires_grad=True),
        torch.randn(5, device=device)
    ]
    anchors = [torch.randn(3, 4, device=device), torch.randn(5, device=device)]
    value = half_squared_distance(params[:1], anchors[:1])
    value.backward()
    torch.testing.assert_close(params[0].grad, params[0] - anchors[0])
    want = 0.5 * sum(((p - a)**2).sum() for p, a in zip(params, anchors))
    torch.testing.assert_close(half_squared_distance(params, anchors), want)
    with pytest.raises(ValueError, match='2 tensors but 1 anchors'):
        half_squared_distance(params, anchors[:1])


def test_bss_is_the_squared_smallest_singular_values(source):
    """0.001 * sum of the k smallest squared singular values of the batch's
    features (numpy's float64 SVD of F^T, as TLlib); gradient as float64
    autograd of the same."""
    for k in (1, 2):
        model = build('tiny_bss.py', source)
        model.regularizers.bss.k = k
        data = model.data_preprocessor(batch(), True)
        losses = model(**data, mode='loss')
        feats = model.extract_feat(data['inputs'])[-1].detach()
        s = np.linalg.svd(feats.double().numpy().T, compute_uv=False)
        want = 0.001 * sum(s[len(s) - 1 - i]**2 for i in range(k))
        assert float(losses['loss_bss']) == pytest.approx(want, rel=1e-4)
        f64 = feats.double().requires_grad_()
        torch.linalg.svdvals(f64)[-k:].pow(2).sum().backward()
        f32 = feats.clone().requires_grad_()
        smallest_singular_values_sq(f32, k).backward()
        torch.testing.assert_close(
            f32.grad.double(), f64.grad, rtol=1e-3, atol=1e-6)
    with pytest.raises(ValueError, match=r'k=7 is not in \[1'):
        model.regularizers.bss.k = 7
        model(**data, mode='loss')


def test_lwf_distils_the_frozen_pretrained_classifier(source):
    """4 * mean_i KL(softmax(t_i / 3) || softmax(s_i / 3)): t from the
    pretrained classifier on the starting point's features, s from it on
    the fine-tuned features; the classifier is the checkpoint's, frozen."""
    model = build('tiny_lwf.py', source)
    state = torch.load(source)['state_dict']
    lwf = model.regularizers.lwf
    torch.testing.assert_close(lwf.source_fc.weight, state['head.fc.weight'])
    assert not any(
        n.startswith('regularizers.lwf') for n, _ in model.named_parameters())
    model.starting_point.take()  # what the first step does
    start = copy.deepcopy(model).eval()
    moved(model)
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    with torch.no_grad():
        t = lwf.source_fc(start.extract_feat(data['inputs'])[-1]).double()
        s = lwf.source_fc(model.extract_feat(data['inputs'])[-1]).double()
    total = 0.
    for ti, si in zip(t, s):
        p, q = (ti / 3).softmax(0), (si / 3).softmax(0)
        total += float((p * (p.log() - q.log())).sum())
    assert float(losses['loss_lwf']) == pytest.approx(
        4 * total / len(t), rel=1e-4)


def reference_attention_distance(targets, sources, attentions, dims):
    """TLlib's AttentionBehavioralRegularization, one channel at a time."""
    total = 0.
    for target, source, attention, dim in zip(targets, sources, attentions,
                                              dims):
        target = target.double().movedim(dim, 1)
        source = source.double().movedim(dim, 1)
        channels = target.shape[1]
        positions = target[0, 0].numel()
        for b in range(target.shape[0]):
            for c in range(channels):
                d2 = float(((target[b, c] - source[b, c])**2).sum())
                total += 0.5 * channels * float(attention[c]) * d2 / positions
    return total


def test_delta_is_the_attention_weighted_feature_map_distance(source):
    """0.01 * TLlib's sum over layers, samples and channels, with the
    feature maps of the default layers (each stage's last convolution)
    recorded in the forward pass and the starting point's (eval mode) on
    the same batch."""
    model = build('tiny_delta.py', source)
    delta = model.regularizers.delta
    assert delta.layers == [f'backbone.layer{i}.1.conv2' for i in (1, 2, 3, 4)]
    torch.manual_seed(3)
    delta.set_attention(
        torch.cat([torch.rand(c).softmax(0) for c in delta.channels]))
    model.starting_point.take()  # what the first step does
    start = copy.deepcopy(model).eval()
    moved(model)
    data = model.data_preprocessor(batch(), True)
    outputs = dict(target={}, source={})
    for key, net in (('target', model), ('source', start)):
        for name in delta.layers:
            net.get_submodule(name).register_forward_hook(
                lambda m, a, out, d=outputs[key], n=name: d.__setitem__(
                    n, out))
    losses = model(**data, mode='loss')
    with torch.no_grad():
        start.extract_feat(data['inputs'])
    targets = [outputs['target'][n].detach() for n in delta.layers]
    sources = [outputs['source'][n] for n in delta.layers]
    want = reference_attention_distance(targets, sources, delta.attentions(),
                                        delta.channel_dims)
    assert float(losses['loss_delta']) == pytest.approx(0.01 * want, rel=1e-4)


def test_delta_refuses_to_train_without_attention(source):
    model = build('tiny_delta.py', source)
    data = model.data_preprocessor(batch(), True)
    with pytest.raises(RuntimeError, match='default_hooks.channel_attention'):
        model(**data, mode='loss')
    with pytest.raises(
            ValueError, match="no layer 'backbone.layer9.conv'.*"
            'backbone.conv1'):
        build(
            'tiny_delta.py',
            source,
            regularizers=dict(delta=dict(layers=['backbone.layer9.conv'])))


class Tokens(nn.Module):
    """A transformer-like toy: linear layers on ``[B, N, C]`` tokens."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(4)
        self.fc1 = nn.Linear(6, 8)
        self.fc2 = nn.Linear(8, 8)
        self.head = nn.Linear(8, NUM)

    def forward(self, x):
        return self.head(self.fc2(self.fc1(x).relu()).mean(1))


def tllib_loss_increase(model, layers, names, x, y):
    """TLlib's loop: zero row j of a layer's weight, score, restore."""
    base = F.cross_entropy(model(x), y, reduction='none').double()
    columns = []
    for layer in layers:
        for j in range(layer.weight.shape[0]):
            row = layer.weight.data[j].clone()
            layer.weight.data[j] = 0.
            columns.append(
                F.cross_entropy(model(x), y, reduction='none').double() - base)
            layer.weight.data[j] = row
    return torch.stack(columns, 1)


@pytest.mark.parametrize('kind', ['conv', 'tokens'])
def test_channel_removal_is_zeroing_the_weight_row(kind):
    """Batched removal (replicated batches, a forward hook) equals TLlib's
    one forward per zeroed weight row, for convolutions (no bias) and
    linear layers on tokens (with a bias), in several chunks."""
    torch.manual_seed(5)
    if kind == 'conv':
        model = nn.Sequential(
            nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
            nn.Conv2d(4, 5, 3, bias=False), nn.AdaptiveAvgPool2d(1),
            nn.Flatten(), nn.Linear(5, NUM)).eval()
        layers = [model[0], model[3]]
        x = torch.randn(6, 3, 8, 8)
    else:
        model = Tokens().eval()
        layers = [model.fc1, model.fc2]
        x = torch.randn(6, 5, 6)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    got = loss_increase_per_channel(model, layers, x, y, chunk=14)
    want = tllib_loss_increase(model, layers, None, x, y)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_channel_attention_is_tllibs_softmax_of_zscores():
    x = torch.tensor([0.3, -0.1, 0.0, 2.0, 0.5], dtype=torch.float64)
    z = (x.numpy() - x.numpy().mean()) / x.numpy().std()
    want = np.exp(z / 5) / np.exp(z / 5).sum()
    np.testing.assert_allclose(channel_attention(x).numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(  # a layer whose channels do not matter
        channel_attention(torch.zeros(4)).numpy(), [0.25] * 4)


def reference_stochnorm(x, choose, mean, var, weight, bias, eps):
    """(1 - s) * BN(x; moving) + s * BN(x; batch), channel by channel."""
    x = x.double()
    out = torch.empty_like(x)
    for c in range(x.shape[1]):
        xc = x[:, c]
        if choose[c]:
            m, v = xc.mean(), xc.var(unbiased=False)
        else:
            m, v = mean[c].double(), var[c].double()
        out[:, c] = (xc - m) / torch.sqrt(v + eps) * weight[c] + bias[c]
    return out


@pytest.mark.parametrize('device', DEVICES)
def test_stochnorm_mixes_batch_and_moving_statistics(device):
    """Each channel takes the batch statistics with probability p (one
    Bernoulli draw a channel and step), else the moving ones from before the
    step; the moving statistics update as BatchNorm's; gradients flow
    through the batch statistics where chosen; eval is BatchNorm's."""
    torch.manual_seed(0)
    bn = nn.BatchNorm2d(6)
    with torch.no_grad():
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.5, 2)
        bn.weight.normal_()
        bn.bias.normal_()
    layer = StochNorm2d(6)
    layer.load_state_dict(bn.state_dict())
    layer.p = 0.5
    bn, layer = bn.to(device), layer.to(device)
    x = torch.randn(4, 6, 5, 5, device=device, requires_grad=True)
    torch.manual_seed(7)
    choose = torch.rand(6, device=device) < 0.5
    assert 0 < int(choose.sum()) < 6
    torch.manual_seed(7)
    out = layer.train()(x)
    want = reference_stochnorm(x, choose, bn.running_mean, bn.running_var,
                               bn.weight.detach(), bn.bias.detach(), bn.eps)
    torch.testing.assert_close(out.double(), want, rtol=1e-5, atol=1e-5)
    x64 = x.detach().double().requires_grad_()
    reference_stochnorm(x64, choose, bn.running_mean, bn.running_var,
                        bn.weight.detach(), bn.bias.detach(),
                        bn.eps).pow(2).sum().backward()
    out.pow(2).sum().backward()
    torch.testing.assert_close(x.grad.double(), x64.grad, rtol=1e-4, atol=1e-5)
    bn.train()(x.detach())  # BatchNorm's update of the moving statistics
    for name in ('running_mean', 'running_var', 'num_batches_tracked'):
        torch.testing.assert_close(getattr(layer, name), getattr(bn, name))
    layer.eval(), bn.eval()
    torch.testing.assert_close(layer(x), bn(x))
    layer.train().p = 1.0  # all batch statistics: BatchNorm in training
    torch.testing.assert_close(layer(x), bn.train()(x))


def test_stochnorm_converts_every_bn_of_the_backbone(source):
    plain = build('tiny_erm.py', source)
    model = build('tiny_stochnorm.py', source)
    bns = [m for m in plain.backbone.modules() if type(m) is nn.BatchNorm2d]
    stoch = [m for m in model.backbone.modules() if isinstance(m, StochNorm2d)]
    assert len(stoch) == len(bns) == model.regularizers.stochnorm.converted
    assert model.state_dict().keys() == plain.state_dict().keys()
    for key, value in plain.state_dict().items():  # the pretrained BN loads
        torch.testing.assert_close(model.state_dict()[key], value, msg=key)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.eval().extract_feat(x),
                                   plain.eval().extract_feat(x))
    with pytest.raises(ValueError, match='has no BatchNorm layer'):
        convert = nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2))
        assert convert_stochnorm(convert, 0.5) == 0
        build(
            'tiny_stochnorm.py',
            source,
            regularizers=dict(stochnorm=dict(modules=['head'])))


@pytest.mark.parametrize('config,needs,message', [
    ('tiny_l2sp.py', dict(starting_point=False),
     r'model.regularizers.l2sp \(L2SPRegularizer\) regularizes towards the '
     'pretrained weights: set model.starting_point=True'),
    ('tiny_lwf.py', dict(starting_point=False), 'model.starting_point=True'),
    ('tiny_delta.py', dict(starting_point=False), 'model.starting_point=True'),
])
def test_missing_shared_state_stops_the_build(source, config, needs, message):
    with pytest.raises(ValueError, match=message):
        build(config, source, **needs)


def test_terms_of_a_combination_equal_each_method_alone(source):
    """Co-tuning + BSS and Bi-tuning + L2-SP (config deltas, no new class):
    with the same weights and state, every term of the combination is the
    single method's."""
    for combo, singles in (('tiny_cotuning_bss.py', ('tiny_cotuning.py',
                                                     'tiny_bss.py')),
                           ('tiny_bituning_l2sp.py', ('tiny_bituning.py',
                                                      'tiny_l2sp.py'))):
        model = build(combo, source)
        if hasattr(model.head, 'set_relationship'):
            rel = torch.rand(NUM, NUM_SOURCE)
            model.head.set_relationship(rel / rel.sum(1, keepdim=True))
        if hasattr(model, 'key_encoder'):
            model.key_encoder.start()
        if hasattr(model, 'starting_point'):
            model.starting_point.take()
            moved(model)
        state = copy.deepcopy(model.state_dict())
        two_views = hasattr(model, 'key_encoder')
        data = batch()
        if two_views:
            data['inputs'] = [data['inputs'], batch(seed=2)['inputs']]
        got = model(
            **model.data_preprocessor(copy.deepcopy(data), True), mode='loss')
        seen = set()
        for single in singles:
            alone = build(single, source)
            missing, _ = alone.load_state_dict(state, strict=False)
            assert missing == []
            one = copy.deepcopy(data)
            if hasattr(alone, 'key_encoder'):
                alone.key_encoder.start(iteration=1)  # keep the loaded one
            elif two_views:
                one['inputs'] = one['inputs'][0]
            want = alone(**alone.data_preprocessor(one, True), mode='loss')
            for key, value in want.items():
                torch.testing.assert_close(got[key], value, msg=key)
                seen.add(key)
        assert seen == set(got), combo
        assert not math.isnan(sum(float(v) for v in got.values()))
