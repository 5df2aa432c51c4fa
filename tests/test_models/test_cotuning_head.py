"""CoTuningHead: loss values, gradients, prediction, bad input."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmft.registry import MODELS
from tests.helpers import NUM_SOURCE, make_source_checkpoint

C, D = 4, 16


def build_head(source_weight=2.3, **kwargs):
    init_default_scope('mmft')
    cfg = dict(
        type='CoTuningHead',
        num_classes=C,
        in_channels=D,
        num_source_classes=NUM_SOURCE,
        source_loss=dict(
            type='CrossEntropyLoss', use_soft=True, loss_weight=source_weight))
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def random_relationship(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(C, NUM_SOURCE, generator=g), 1)


def samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


def test_loss_equals_per_sample_reference():
    head = build_head()
    rel = random_relationship()
    head.set_relationship(rel)
    feats = torch.randn(6, D)
    labels = torch.tensor([0, 3, 3, 1, 2, 0])
    losses = head.loss((feats, ), samples(labels))
    ce, soft = 0., 0.
    for f, y in zip(feats, labels):  # the straightforward reference
        t = head.fc(f)
        s = head.source_fc(f)
        ce += -F.log_softmax(t, 0)[y]
        soft += -(rel[y] * F.log_softmax(s, 0)).sum()
    torch.testing.assert_close(losses['loss'], ce / 6)
    torch.testing.assert_close(losses['loss_source'], 2.3 * soft / 6)
    # soft-CE >= entropy of the target distribution, equal at the optimum
    entropy = -(rel[labels] * rel[labels].log()).sum(1).mean()
    assert losses['loss_source'] / 2.3 >= entropy
    with torch.no_grad():
        head.source_fc.weight.zero_()
        head.source_fc.bias.copy_(rel[0].log())
    at_opt = head.loss((feats, ), samples(torch.zeros(6, dtype=torch.long)))
    torch.testing.assert_close(at_opt['loss_source'] / 2.3,
                               -(rel[0] * rel[0].log()).sum())


def test_gradients_reach_each_head_from_its_own_term():
    head = build_head()
    head.set_relationship(random_relationship())
    feats = torch.randn(5, D, requires_grad=True)
    losses = head.loss((feats, ), samples([0, 1, 2, 3, 0]))
    losses['loss'].backward(retain_graph=True)
    assert head.source_fc.weight.grad is None
    assert head.fc.weight.grad.abs().sum() > 0
    head.zero_grad()  # grads back to None
    losses['loss_source'].backward()
    assert head.fc.weight.grad is None
    assert head.source_fc.weight.grad.abs().sum() > 0


def test_zero_weight_gives_the_plain_fine_tuning_gradient():
    head = build_head(source_weight=0.)
    head.set_relationship(random_relationship())
    feats = torch.randn(5, D, requires_grad=True)
    labels = torch.tensor([0, 1, 2, 3, 0])
    sum(head.loss((feats, ), samples(labels)).values()).backward()
    erm = torch.autograd.grad(F.cross_entropy(head.fc(feats), labels),
                              feats)[0]
    torch.testing.assert_close(feats.grad, erm)


def test_mixed_labels_mix_the_relationship_rows():
    head = build_head()
    rel = random_relationship()
    head.set_relationship(rel)
    feats = torch.randn(2, D)
    score = torch.tensor([[0.7, 0.3, 0., 0.], [0., 0., 0.5, 0.5]])
    data = [DataSample().set_gt_label(0).set_gt_score(s) for s in score]
    losses = head.loss((feats, ), data)
    target = score @ rel
    expected = F.cross_entropy(head.source_fc(feats), target)
    torch.testing.assert_close(losses['loss_source'], 2.3 * expected)


def test_prediction_uses_only_the_target_head():
    head = build_head()
    head.set_relationship(random_relationship())
    feats = torch.randn(3, D)
    before = head.predict((feats, ))
    with torch.no_grad():
        head.source_fc.weight.normal_()
    after = head.predict((feats, ))
    assert before[0].pred_score.shape == (C, )
    for a, b in zip(before, after):
        torch.testing.assert_close(a.pred_score, b.pred_score)
    torch.testing.assert_close(
        torch.stack([a.pred_score for a in before]),
        torch.softmax(head.fc(feats), 1))


def test_loss_without_relationship_says_what_to_add():
    head = build_head()
    with pytest.raises(ValueError, match='CategoryRelationshipHook'):
        head.loss((torch.randn(2, D), ), samples([0, 1]))


def test_source_head_is_loaded_from_the_checkpoint(tmp_path):
    path = make_source_checkpoint(str(tmp_path / 'src.pth'))
    state = torch.load(path)['state_dict']
    head = build_head(in_channels=64, source_checkpoint=path)
    torch.testing.assert_close(head.source_fc.weight, state['head.fc.weight'])
    torch.testing.assert_close(head.source_fc.bias, state['head.fc.bias'])


def save_state(path, state, meta=None):
    ckpt = dict(state_dict=state)
    if meta is not None:
        ckpt['meta'] = meta
    torch.save(ckpt, str(path))
    return str(path)


def classifier(seed):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(NUM_SOURCE, D,
                        generator=g), torch.randn(NUM_SOURCE, generator=g))


def test_vit_classifier_is_found_without_a_prefix(tmp_path):
    """A converted ViT keeps its classifier at ``head.layers.head.``; the
    head finds it (no meta, no source_prefix) among the backbone's tensors,
    one of which has the classifier's input width."""
    weight, bias = classifier(1)
    path = save_state(
        tmp_path / 'vit.pth', {
            'backbone.ln1.weight': torch.ones(D),
            'backbone.layers.0.ffn.layers.1.weight': torch.randn(D, 2 * D),
            'backbone.layers.0.ffn.layers.1.bias': torch.randn(D),
            'head.layers.head.weight': weight,
            'head.layers.head.bias': bias,
        })
    head = build_head(source_checkpoint=path)
    assert head.source_prefix is None
    torch.testing.assert_close(head.source_fc.weight, weight, rtol=0, atol=0)
    torch.testing.assert_close(head.source_fc.bias, bias, rtol=0, atol=0)


def test_any_single_fitting_classifier_is_found(tmp_path):
    """Outside the known prefixes, the one [C_s, D] weight with a [C_s]
    bias: here an mmft Co-tuning checkpoint's own source head (its target
    head has other shapes)."""
    weight, bias = classifier(2)
    path = save_state(
        tmp_path / 'cotuned.pth', {
            'head.fc.weight': torch.zeros(3, D),
            'head.fc.bias': torch.zeros(3),
            'head.source_fc.weight': weight,
            'head.source_fc.bias': bias,
        },
        meta=dict(iter=10))  # a Runner's meta: no source_prefix
    head = build_head(source_checkpoint=path)
    torch.testing.assert_close(head.source_fc.weight, weight, rtol=0, atol=0)


def test_the_converters_meta_prefix_and_an_explicit_one(tmp_path):
    """Two fitting classifiers: the converter's meta names the source one;
    an explicit model.head.source_prefix wins over the meta."""
    vit, other = classifier(3), classifier(4)
    state = {
        'head.layers.head.weight': vit[0],
        'head.layers.head.bias': vit[1],
        'head.fc.weight': other[0],
        'head.fc.bias': other[1],
    }
    path = save_state(
        tmp_path / 'meta.pth',
        state,
        meta=dict(
            source_prefix='head.layers.head.',
            converter='torchvision_to_mmpretrain.py'))
    head = build_head(source_checkpoint=path)
    torch.testing.assert_close(head.source_fc.weight, vit[0], rtol=0, atol=0)
    head = build_head(source_checkpoint=path, source_prefix='head.fc.')
    torch.testing.assert_close(head.source_fc.weight, other[0], rtol=0, atol=0)
    bad = save_state(
        tmp_path / 'bad_meta.pth',
        state,
        meta=dict(source_prefix='head.linear.'))
    with pytest.raises(
            KeyError, match=r"no 'head.linear.weight'.*meta\['source_"):
        build_head(source_checkpoint=bad)


def test_two_fitting_classifiers_without_meta_are_refused(tmp_path):
    vit, other = classifier(3), classifier(4)
    path = save_state(
        tmp_path / 'two.pth', {
            'head.layers.head.weight': vit[0],
            'head.layers.head.bias': vit[1],
            'head.fc.weight': other[0],
            'head.fc.bias': other[1],
        })
    with pytest.raises(ValueError, match='holds 2 classifiers') as error:
        build_head(source_checkpoint=path)
    message = str(error.value)
    assert "'head.layers.head.'" in message and "'head.fc.'" in message
    assert 'model.head.source_prefix' in message


def test_checkpoint_without_classifier_fails_clearly(tmp_path):
    """A backbone-only checkpoint (e.g. a MoCo conversion): the error names
    a sample of its keys, their number, and the converters that keep the
    classifier."""
    state = {f'backbone.layer{i}.weight': torch.zeros(1) for i in range(20)}
    path = save_state(tmp_path / 'backbone_only.pth', state)
    with pytest.raises(KeyError, match='the pretrained classifier') \
            as error:
        build_head(source_checkpoint=path)
    message = str(error.value)
    assert message.startswith('model.head:')  # not a quoted repr
    assert 'holds 20 keys' in message
    assert "'backbone.layer0.weight'" in message
    assert '(and 12 more)' in message
    assert 'torchvision_to_mmpretrain.py' in message
    assert "'head.fc.'" in message and "'head.layers.head.'" in message
    wrong = str(tmp_path / 'wrong.pth')
    torch.save(
        {
            'head.fc.weight': torch.zeros(7, D),
            'head.fc.bias': torch.zeros(7)
        }, wrong)
    with pytest.raises(ValueError, match=r"'head.fc.': \[7, 16\]"):
        build_head(source_checkpoint=wrong)
    with pytest.raises(ValueError, match='num_source_classes'):
        build_head(source_checkpoint=wrong, source_prefix='head.fc.')


@pytest.mark.parametrize('key,value', [('num_classes', 0), ('in_channels', -1),
                                       ('source_weight', -1.)])
def test_bad_arguments_name_the_key(key, value):
    match = 'model.head.source_loss.loss_weight' if key == 'source_weight' \
        else f'model.head.{key}'
    with pytest.raises(ValueError, match=match):
        build_head(**{key: value})


def test_moved_arguments_say_where_they_went():
    with pytest.raises(TypeError, match='model.regularizers.cce'):
        build_head(contrastive_loss=dict(type='ContrastiveCELoss'))
