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
        type='UFTMoCo', backbone=TINY_BACKBONE,
        neck=dict(type='MoCoV2Neck', in_channels=FEAT_DIM, hid_channels=32,
                  out_channels=16, with_avg_pool=True),
        queue_len=32, feat_dim=16,
        data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3))
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    model.momentum_hooked = True
    return model.train()


def views(n=4):
    torch.manual_seed(1)
    return [torch.randn(n, 3, 32, 32), torch.randn(n, 3, 32, 32)]


def test_plain_moco_loss_and_enqueue():
    model = build()
    inputs = views()
    queue = model.queue.clone()
    with torch.no_grad():
        keys = F.normalize(model.key_neck(model.key_backbone(inputs[1]))[0])
    losses = model(inputs, [None] * 4, mode='loss')
    assert set(losses) == {'loss'}
    z = F.normalize(model.neck(model.backbone(inputs[0]))[0])
    want = torch.stack([
        F.cross_entropy(torch.cat([(q @ k)[None], queue @ q])[None] / 0.2,
                        torch.zeros(1).long()) for q, k in zip(z, keys)
    ]).mean()
    torch.testing.assert_close(losses['loss'], want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(model.queue[:4], keys)  # enqueued after
    assert model.queue_ptr.item() == 4
    losses['loss'].backward()
    assert all(p.grad is None for n, p in model.named_parameters()
               if n.startswith('key_'))


def test_mixed_queries_add_eq6_and_no_keys():
    model = build(mix=dict(type='cutmix', alpha=1.0))
    inputs = views()
    torch.manual_seed(5)
    losses = model(inputs, [None] * 4, mode='loss')
    assert set(losses) == {'loss', 'loss_mix', 'lam'}
    assert model.queue_ptr.item() == 4  # nothing enqueued for mixed images
    lam = float(losses['lam'])
    assert 0 <= lam <= 1
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
    assert set(losses) == {'loss', 'loss_mix', 'lam'}


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
    model.momentum_hooked = False
    with pytest.raises(RuntimeError, match='MomentumEncoderHook'):
        model(views(), None, mode='loss')


def test_functional_infonce_matches_the_model():
    torch.manual_seed(0)
    q, k = F.normalize(torch.randn(3, 16), dim=1), F.normalize(
        torch.randn(3, 16), dim=1)
    queue = F.normalize(torch.randn(8, 16), dim=1)
    assert queue_infonce(q, k, queue).shape == (3, )


@pytest.mark.parametrize('kwargs,key', [
    (dict(queue_len=0), 'model.queue_len'),
    (dict(temperature=0), 'model.temperature'),
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
    model = build(load_queue=load_queue,
                  init_cfg=dict(type='Pretrained', checkpoint=path))
    # weights come from the checkpoint either way; the queue only if asked
    assert torch.all(model.backbone.conv1.weight == 0.25)
    assert torch.all(model.key_backbone.conv1.weight == 0.25)
    assert torch.all(model.queue == 0.5) == load_queue
    assert (model.queue_ptr.item() == 7) == load_queue
