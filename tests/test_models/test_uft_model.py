"""UFTMoCo: the loss against a hand reference, mixing switches, queue."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

import mmft.models  # noqa: F401
from mmft.models.utils import queue_infonce
from mmft.registry import MODELS
from tests.helpers import FEAT_DIM, TINY_BACKBONE


def build(**kwargs):
    init_default_scope('mmft')
    torch.manual_seed(0)
    cfg = dict(
        type='UFTMoCo',
        backbone=TINY_BACKBONE,
        neck=dict(
            type='MoCoV2Neck',
            in_channels=FEAT_DIM,
            hid_channels=32,
            out_channels=16,
            with_avg_pool=True),
        queue_len=32,
        feat_dim=16,
        data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3))
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    model.key_encoder.start()
    return model.train()


def views(n=4):
    torch.manual_seed(1)
    return [torch.randn(n, 3, 32, 32), torch.randn(n, 3, 32, 32)]


def test_plain_moco_loss_and_enqueue():
    model = build()
    inputs = views()
    queue = model.queue.clone()
    with torch.no_grad():
        enc = model.key_encoder
        keys = F.normalize(enc.neck(enc.backbone(inputs[1]))[0])
    losses = model(inputs, [None] * 4, mode='loss')
    assert set(losses) == {'loss', 'sim_pos', 'sim_neg'}
    z = F.normalize(model.neck(model.backbone(inputs[0]))[0])
    # logged: cosine to the own key and to the queue (before the enqueue)
    torch.testing.assert_close(losses['sim_pos'], (z * keys).sum(1).mean())
    torch.testing.assert_close(losses['sim_neg'], (z @ queue.T).mean())
    want = torch.stack([
        F.cross_entropy(
            torch.cat([(q @ k)[None], queue @ q])[None] / 0.2,
            torch.zeros(1).long()) for q, k in zip(z, keys)
    ]).mean()
    torch.testing.assert_close(losses['loss'], want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(model.queue[:4], keys)  # enqueued after
    assert model.queue_ptr.item() == 4
    losses['loss'].backward()
    assert list(model.key_encoder.parameters()) == []


def test_mixed_queries_add_eq6_and_no_keys():
    model = build(mix=dict(type='cutmix', alpha=1.0))
    inputs = views()
    torch.manual_seed(5)
    losses = model(inputs, [None] * 4, mode='loss')
    assert set(losses) == {'loss', 'loss_mix', 'lam', 'sim_pos', 'sim_neg'}
    assert model.queue_ptr.item() == 4  # nothing enqueued for mixed images
    losses['loss_mix'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_lam_one_mixed_loss_equals_the_plain_loss():
    """A mixer that keeps a whole (lam = 1, partner = itself) gives
    loss_mix == loss (both computed in one forward, as the default)."""
    model = build(mix=dict(pairing='reverse'))
    model.mixer = lambda x: (x.clone(), torch.arange(len(x)),
                             torch.arange(len(x)), 1.0)
    losses = model(views(), [None] * 4, mode='loss')
    torch.testing.assert_close(losses['loss_mix'], losses['loss'])


def test_replace_mode_and_separate_forward():
    model = build(mix=dict(mode='replace'))
    assert set(model(views(), [None] * 4, mode='loss')) == {'loss_mix', 'lam'}
    model = build(mix=dict(separate_forward=True, weight=0.5))
    losses = model(views(), [None] * 4, mode='loss')
    assert set(losses) == {'loss', 'loss_mix', 'lam', 'sim_pos', 'sim_neg'}


def test_queue_wraps_and_refuses_oversized_batches():
    model = build(queue_len=6)
    model.enqueue(F.normalize(torch.randn(4, 16), dim=1))
    keys = F.normalize(torch.randn(4, 16), dim=1)
    model.enqueue(keys)
    assert model.queue_ptr.item() == 2
    torch.testing.assert_close(model.queue[[4, 5, 0, 1]], keys)
    torch.testing.assert_close(model.queue.norm(dim=1), torch.ones(6))
    with pytest.raises(ValueError, match='model.queue_len'):
        model.enqueue(torch.randn(7, 16))


def test_training_needs_two_views_and_the_hook():
    model = build()
    with pytest.raises(ValueError, match="type='MultiView'"):
        model(views()[0], None, mode='loss')
    model.key_encoder.updating = False
    with pytest.raises(RuntimeError, match='MomentumEncoderHook'):
        model(views(), None, mode='loss')


def test_functional_infonce_is_cross_entropy_on_positive_first():
    torch.manual_seed(0)
    q, k = F.normalize(
        torch.randn(3, 16), dim=1), F.normalize(
            torch.randn(3, 16), dim=1)
    queue = F.normalize(torch.randn(8, 16), dim=1)
    logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.T], 1) / 0.2
    want = F.cross_entropy(
        logits, torch.zeros(3, dtype=torch.long), reduction='none')
    torch.testing.assert_close(queue_infonce(q, k, queue), want)


@pytest.mark.parametrize('kwargs,key', [
    (dict(queue_len=0), 'model.queue_len'),
    (dict(loss=dict(type='MixedQueryInfoNCELoss', temperature=0)),
     'model.loss.temperature'),
    (dict(key_momentum=1.5), 'model.key_momentum must be'),
    (dict(key_momentum_schedule='linear'), 'model.key_momentum_schedule'),
    (dict(mix=dict(mode='both')), 'model.mix.mode'),
    (dict(mix=dict(type='x')), 'model.mix.type'),
])
def test_bad_configuration_names_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key):
        build(**kwargs)


@pytest.mark.parametrize('load_queue', [False, True])
def test_pretrained_queue_is_fresh_unless_load_queue(tmp_path, load_queue):
    source = build()
    source.queue.fill_(0.5)
    source.queue_ptr.fill_(7)
    source.backbone.conv1.weight.data.fill_(0.25)
    path = str(tmp_path / 'moco.pth')
    torch.save({'state_dict': source.state_dict()}, path)
    model = build(
        load_queue=load_queue,
        init_cfg=dict(type='Pretrained', checkpoint=path))
    # weights come from the checkpoint either way; the queue only if asked
    assert torch.all(model.backbone.conv1.weight == 0.25)
    model.key_encoder.start()
    assert torch.all(model.key_encoder.backbone.conv1.weight == 0.25)
    assert torch.all(model.queue == 0.5) == load_queue
    assert (model.queue_ptr.item() == 7) == load_queue


def mmpretrain_moco(queue_len, feat_dim=16):
    """mmpretrain's MoCo of the test's backbone and neck."""
    init_default_scope('mmft')
    torch.manual_seed(3)
    neck = dict(
        type='MoCoV2Neck',
        in_channels=FEAT_DIM,
        hid_channels=32,
        out_channels=feat_dim,
        with_avg_pool=True)
    return MODELS.build(
        dict(
            type='mmpretrain.MoCo',
            backbone=TINY_BACKBONE,
            neck=neck,
            head=dict(
                type='ContrastiveHead',
                loss=dict(type='CrossEntropyLoss'),
                temperature=0.2),
            queue_len=queue_len,
            feat_dim=feat_dim,
            data_preprocessor=dict(
                type='SelfSupDataPreprocessor',
                mean=[127.5] * 3,
                std=[127.5] * 3)))


@pytest.mark.parametrize('queue_len', [32, 16])  # 16: a square queue
def test_load_queue_takes_mmpretrains_moco_queue(tmp_path, queue_len):
    """mmpretrain's MoCo stores its queue as [feat_dim, K] (keys are
    columns); UFTMoCo(load_queue=True) gets the same keys as rows, once
    transposed also when K == feat_dim."""
    moco = mmpretrain_moco(queue_len)
    moco.queue_ptr.fill_(5)
    assert moco.queue.shape == (16, queue_len)
    path = str(tmp_path / 'moco.pth')
    torch.save({'state_dict': moco.state_dict()}, path)
    model = build(
        queue_len=queue_len,
        load_queue=True,
        init_cfg=dict(type='Pretrained', checkpoint=path))
    torch.testing.assert_close(model.queue, moco.queue.t())
    assert model.queue_ptr.item() == 5
    torch.testing.assert_close(model.backbone.conv1.weight,
                               moco.backbone.conv1.weight)
    # load_state_dict (the runner's load_from) converts it the same way
    fresh = build(queue_len=queue_len)
    fresh.load_state_dict(moco.state_dict(), strict=False)
    torch.testing.assert_close(fresh.queue, moco.queue.t())


@pytest.mark.parametrize('load', ['init_cfg', 'load_state_dict'])
def test_square_mmft_queue_is_not_transposed(tmp_path, load):
    """mmft's own [K, feat_dim] queue loads as saved, whatever its shape."""
    source = build(queue_len=16)
    source.queue.copy_(torch.arange(256.).view(16, 16))
    path = str(tmp_path / 'uft.pth')
    torch.save({'state_dict': source.state_dict()}, path)
    if load == 'init_cfg':
        model = build(
            queue_len=16,
            load_queue=True,
            init_cfg=dict(type='Pretrained', checkpoint=path))
    else:
        model = build(queue_len=16)
        model.load_state_dict(source.state_dict())
    torch.testing.assert_close(model.queue, source.queue)


def test_queue_of_unknown_layout_or_shape_is_an_error(tmp_path):
    """A bare queue cannot say its layout; a wrong shape names the keys."""
    moco = mmpretrain_moco(32)
    bare = {
        k: v
        for k, v in moco.state_dict().items() if not k.startswith('encoder_k.')
    }
    path = str(tmp_path / 'bare.pth')
    torch.save({'state_dict': bare}, path)
    with pytest.raises(ValueError, match='cannot tell the layout'):
        build(
            load_queue=True, init_cfg=dict(type='Pretrained', checkpoint=path))
    # without load_queue the queue is not read at all
    build(init_cfg=dict(type='Pretrained', checkpoint=path))
    path = str(tmp_path / 'moco.pth')
    torch.save({'state_dict': moco.state_dict()}, path)
    with pytest.raises(ValueError, match='model.queue_len'):
        build(
            queue_len=64,
            load_queue=True,
            init_cfg=dict(type='Pretrained', checkpoint=path))


def test_partial_load_is_one_summary_line(tmp_path, monkeypatch):
    """A classifier checkpoint: backbone loaded, neck kept, head unused,
    said in one line (not mmengine's list of every missing key)."""
    source = build()
    state = {
        k: v
        for k, v in source.state_dict().items() if k.startswith('backbone.')
    }
    state['head.fc.weight'] = torch.zeros(10, FEAT_DIM)
    state['head.fc.bias'] = torch.zeros(10)
    path = str(tmp_path / 'cls.pth')
    torch.save({'state_dict': state}, path)
    lines = []
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    monkeypatch.setattr(logger, 'info', lines.append)
    monkeypatch.setattr(logger, 'warning', lines.append)
    build(init_cfg=dict(type='Pretrained', checkpoint=path))
    summary = [line for line in lines if line.startswith('UFTMoCo: loaded')]
    assert summary == [
        f'UFTMoCo: loaded {len(state) - 2} tensors from {path}; not in it, '
        'kept from init: neck (4); not used: head.fc (2); the key encoder '
        'is copied from it when training starts'
    ]
    assert not any('missing keys' in str(line) for line in lines)
