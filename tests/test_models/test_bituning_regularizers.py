"""Bi-tuning as regularizers of a FineTuningClassifier (ContrastiveCELoss,
ProjectorHead), the key encoder they share and the two-view preprocessor."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

import mmft.models  # noqa: F401
from mmft.models.utils import (categorical_contrastive_loss,
                               contrastive_cross_entropy_loss)
from mmft.registry import MODELS
from tests.helpers import FEAT_DIM, TINY_BACKBONE

NUM = 3


def config(head=None, cce=None, ccl=None, projector=None, **extra) -> dict:
    """The tiny Bi-tuning model's config, each part updated by a dict."""
    cfg = dict(
        type='FineTuningClassifier',
        backbone=TINY_BACKBONE,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            dict(type='LinearClsHead', num_classes=NUM, in_channels=FEAT_DIM),
            **(head or {})),
        key_encoder=dict(momentum=0.999),
        regularizers=dict(
            cce=dict(
                dict(type='ContrastiveCELoss', queue_size=4), **(cce or {})),
            projector=dict(
                dict(
                    type='ProjectorHead',
                    out_channels=16,
                    loss=dict(
                        dict(type='CategoricalContrastiveLoss', queue_size=4),
                        **(ccl or {}))), **(projector or {}))),
        data_preprocessor=dict(
            mean=[127.5] * 3, std=[127.5] * 3, num_classes=NUM))
    cfg.update(extra)
    return cfg


def build(**changes):
    init_default_scope('mmft')
    torch.manual_seed(0)
    model = MODELS.build(config(**changes))
    model.init_weights()
    model.key_encoder.start()  # what MomentumEncoderHook does
    with torch.no_grad():  # key encoder != query encoder, as after training
        for p in model.key_encoder.backbone.buffers():
            if p.is_floating_point():
                p.add_(0.01 * torch.randn_like(p))
    return model.train()


def batch(labels=(0, 1, 1, 2, 2, 2)):
    torch.manual_seed(1)
    views = [[
        torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for _ in labels
    ] for _ in range(2)]
    samples = [DataSample().set_gt_label(c) for c in labels]
    return dict(inputs=views, data_samples=samples)


def reference(model, data):
    """CE + CCE + CCL written from the method notes' per-iteration steps."""
    query, key = data['inputs']
    labels = torch.cat([s.gt_label for s in data['data_samples']])
    head, proj = model.head, model.regularizers.projector
    h = model.neck(model.backbone(query))[-1]
    with torch.no_grad():
        h_k = model.neck(model.key_encoder.backbone(key))[-1]
    z_q = F.normalize(proj.projection(h), dim=1)
    z_k = F.normalize(model.key_encoder.projection(h_k), dim=1)

    def hat(x):
        return F.normalize(torch.cat([x, torch.ones(len(x), 1)], 1), dim=1)

    w_hat = F.normalize(
        torch.cat([head.fc.weight, head.fc.bias[:, None]], 1), dim=1).detach()
    cce, ccl = model.regularizers.cce, proj.loss_module
    queue_h, queue_z = cce.queue.queue.clone(), ccl.queue.queue.clone()
    ptr_h, ptr_z = cce.queue.ptr.clone(), ccl.queue.ptr.clone()
    post_h, post_z = queue_h.clone(), queue_z.clone()
    for i, c in enumerate(labels.tolist()):  # TLlib's enqueue loop
        post_h[c, ptr_h[c]] = hat(h_k)[i]
        ptr_h[c] = (ptr_h[c] + 1) % 4
        post_z[c, ptr_z[c]] = z_k[i]
        ptr_z[c] = (ptr_z[c] + 1) % 4
    ce = F.cross_entropy(head.fc(h), labels)
    return dict(
        ce=ce,
        h=h,
        labels=labels,
        z_q=z_q,
        z_k=z_k,
        h_hat=hat(h),
        w_hat=w_hat,
        pre=(queue_h, queue_z),
        post=(post_h, post_z))


@pytest.mark.parametrize('cce_first,ccl_first', [(True, False), (False, True)])
def test_loss_equals_the_reference_in_both_queue_orders(cce_first, ccl_first):
    """Default (TLlib): CCE on the post-batch queue, CCL on the pre-batch
    one; the switches swap each."""
    model = build(
        cce=dict(enqueue_first=cce_first), ccl=dict(enqueue_first=ccl_first))
    data = model.data_preprocessor(batch(), True)
    ref = reference(model, data)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss', 'loss_cce', 'loss_ccl'}
    queue_h = ref['post' if cce_first else 'pre'][0]
    queue_z = ref['post' if ccl_first else 'pre'][1]
    cce = contrastive_cross_entropy_loss(ref['h_hat'], ref['w_hat'], queue_h,
                                         ref['labels'], 0.07)
    ccl = categorical_contrastive_loss(ref['z_q'], ref['z_k'], queue_z,
                                       ref['labels'], 0.07)
    torch.testing.assert_close(losses['loss'], ref['ce'])
    torch.testing.assert_close(losses['loss_cce'], cce, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(losses['loss_ccl'], ccl, atol=1e-5, rtol=1e-5)
    # after the step both queues hold the batch's keys
    cce_queue = model.regularizers.cce.queue
    torch.testing.assert_close(cce_queue.queue, ref['post'][0])
    torch.testing.assert_close(
        model.regularizers.projector.loss_module.queue.queue, ref['post'][1])
    assert cce_queue.ptr.tolist() == [1, 2, 3]


def test_gradients_go_where_the_notes_say():
    """Key encoder and queues get none; CCE leaves the classifier alone
    unless told otherwise; CCL trains the projector, not the head."""
    model = build()
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    ce_fc = torch.autograd.grad(
        losses['loss'], model.head.fc.weight, retain_graph=True)[0]
    sum(losses.values()).backward()
    # the key encoder has no parameters: nothing to offer an optimizer
    assert not any(n.startswith('key_') for n, _ in model.named_parameters())
    assert list(model.key_encoder.parameters()) == []
    assert list(model.regularizers.cce.parameters()) == []
    torch.testing.assert_close(model.head.fc.weight.grad, ce_fc)
    assert model.regularizers.projector.projection.weight.grad.abs().sum() > 0

    model = build(cce=dict(detach_class_weight=False))
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    (grad, ) = torch.autograd.grad(losses['loss_cce'], model.head.fc.weight)
    assert grad.abs().sum() > 0


def test_prediction_is_the_plain_classifier():
    model = build().eval()
    data = batch()
    data['inputs'] = data['inputs'][0]
    data = model.data_preprocessor(data, False)
    with torch.no_grad():
        scores = model(data['inputs'], mode='tensor')
        want = model.head.fc(model.neck(model.backbone(data['inputs']))[-1])
        preds = model(**data, mode='predict')
    torch.testing.assert_close(scores, want)
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in preds]), want.softmax(1))


def test_key_encoder_starts_as_a_copy_of_the_query():
    model = build(projector=dict(hidden_channels=32))
    with torch.no_grad():  # training moved the query away
        for p in model.parameters():
            p.add_(1.0)
    model.key_encoder.start()
    names = [name for name, _, _ in model.key_encoder.pairs()]
    assert names == ['backbone', 'neck', 'projection']
    for _, query, key in model.key_encoder.pairs():
        key_state = key.state_dict()
        assert set(key_state) == set(query.state_dict())
        for name, value in query.state_dict().items():
            torch.testing.assert_close(key_state[name], value, msg=name)


def test_two_view_preprocessor():
    """Each view normalised alone; labels once; a batch augment mixes only
    the query view and keeps the hard label; one view is as mmpretrain's."""
    init_default_scope('mmft')
    pre = MODELS.build(
        dict(
            type='MultiViewClsDataPreprocessor',
            mean=[10.] * 3,
            std=[2.] * 3,
            num_classes=NUM))
    data = batch()
    out = pre(data, True)
    assert len(out['inputs']) == 2
    for got, raw in zip(out['inputs'], data['inputs']):
        torch.testing.assert_close(got, (torch.stack(raw).float() - 10) / 2)
    stacked = dict(
        inputs=[torch.stack(v) for v in data['inputs']],
        data_samples=batch()['data_samples'])
    for got, want in zip(pre(stacked, True)['inputs'], out['inputs']):
        torch.testing.assert_close(got, want)
    single = MODELS.build(
        dict(
            type='mmpretrain.ClsDataPreprocessor',
            mean=[10.] * 3,
            std=[2.] * 3))
    one = dict(inputs=data['inputs'][0], data_samples=batch()['data_samples'])
    torch.testing.assert_close(pre(one)['inputs'], single(one)['inputs'])

    mixer = MODELS.build(
        dict(
            type='MultiViewClsDataPreprocessor',
            num_classes=NUM,
            batch_augments=dict(augments=dict(type='Mixup', alpha=1.0))))
    out = mixer(batch(), True)
    raw = torch.stack(batch()['inputs'][1]).float()
    torch.testing.assert_close(out['inputs'][1], raw)
    assert not torch.equal(out['inputs'][0],
                           torch.stack(batch()['inputs'][0]).float())
    sample = out['data_samples'][0]
    assert sample.gt_score.shape == (NUM, ) and sample.gt_label.tolist() == [0]


def test_cotuning_and_bituning_on_one_head():
    """CoTuningHead with a contrastive loss: Co-tuning's two terms plus
    Bi-tuning's two, each as the plain heads compute it."""
    model = build(head=dict(type='CoTuningHead', num_source_classes=5))
    rel = torch.rand(NUM, 5)
    model.head.set_relationship(rel / rel.sum(1, keepdim=True))
    plain = build()
    plain.load_state_dict(model.state_dict(), strict=False)
    plain.key_encoder.start(iteration=1)  # keep the loaded key encoder
    want = plain(**plain.data_preprocessor(batch(), True), mode='loss')
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss', 'loss_source', 'loss_cce', 'loss_ccl'}
    for key in ('loss', 'loss_cce', 'loss_ccl'):
        torch.testing.assert_close(losses[key], want[key])
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'][0])[-1]
    labels = torch.cat([s.gt_label for s in data['data_samples']])
    source = -(model.head.relationship[labels] *
               model.head.source_fc(feats).log_softmax(1)).sum(1).mean()
    torch.testing.assert_close(losses['loss_source'], 2.3 * source)


def test_training_needs_two_views_and_the_hook():
    model = build()
    data = model.data_preprocessor(batch(), True)
    with pytest.raises(ValueError, match="type='MultiView'"):
        model(data['inputs'][0], data['data_samples'], mode='loss')
    model.key_encoder.updating = False
    with pytest.raises(RuntimeError, match='default_hooks.momentum_encoder'):
        model(**data, mode='loss')


@pytest.mark.parametrize('change,error,message', [
    (dict(key_encoder=None), ValueError,
     r'model.regularizers.cce \(ContrastiveCELoss\) needs the momentum key '
     'encoder: set model.key_encoder'),
    (dict(cce=dict(queue_size=0)), ValueError,
     'ContrastiveCELoss.queue_size must be an int'),
    (dict(cce=dict(temperature=0.)), ValueError,
     'ContrastiveCELoss.temperature must be > 0'),
    (dict(ccl=dict(queue_size=0)), ValueError,
     'model.regularizers.projector.loss: CategoricalContrastiveLoss.'
     'queue_size'),
    (dict(projector=dict(num_classes=5)), TypeError,
     r"num_classes is the head's \(model.head.num_classes\)"),
    (dict(projector=dict(out_channels=0)), ValueError,
     'ProjectorHead: out_channels must be a positive int'),
    (dict(head=dict(type='ClsHead', num_classes=None, in_channels=None)),
     TypeError, 'model.regularizers.cce scores against the rows of the head'),
    (dict(type='BiTuning'), KeyError,
     "model type 'BiTuning' has moved: use type='FineTuningClassifier'"),
    (dict(head=dict(type='ContrastiveCEHead')), KeyError,
     "'ContrastiveCEHead' has moved"),
    (dict(projector=dict(type='ProjectorHead')), TypeError,
     'model.projector has moved to model.regularizers.projector'),
    (dict(key_momentum=0.99), TypeError,
     'model.key_momentum has moved to model.key_encoder.momentum'),
    (dict(head=dict(type='CoTuningHead', contrastive_loss=dict())), TypeError,
     'model.head.contrastive_loss has moved to model.regularizers.cce'),
])
def test_bad_configuration_names_the_key(change, error, message):
    cfg = config(**{k: v for k, v in change.items() if k != 'projector'})
    if 'projector' in change:
        if change['projector'].get('type'):  # the former BiTuning argument
            cfg['projector'] = change['projector']
        else:
            cfg['regularizers']['projector'].update(change['projector'])
    if cfg['head']['type'] == 'ClsHead':
        cfg['head'] = dict(type='ClsHead')
    init_default_scope('mmft')
    with pytest.raises(error, match=message):
        MODELS.build(cfg)
