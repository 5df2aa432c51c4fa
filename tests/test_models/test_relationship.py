"""Values of the relationship estimates (method notes, 7. Co-tuning 1-4)."""
import numpy as np
import pytest
import torch

from mmft.models.utils import (accumulate_source_probs, check_relationship,
                               direct_relationship, reverse_relationship)
from mmft.models.utils.calibration import calibration_scale
from mmft.models.utils.relationship import _holdout_split


def softmax(x):
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_direct_matches_hand_computation():
    logits = np.array([[2., 0., 0.], [0., 1., 0.], [1., 1., 1.], [0., 0., 3.]])
    labels = np.array([0, 0, 1, 1])
    p = softmax(logits)
    expected = np.stack([(p[0] + p[1]) / 2, (p[2] + p[3]) / 2])
    sums, counts = accumulate_source_probs(
        torch.tensor(logits), torch.tensor(labels), num_classes=2)
    rel = direct_relationship(sums, counts)
    assert rel.shape == (2, 3)
    np.testing.assert_allclose(rel.numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(rel.sum(1).numpy(), 1, atol=1e-6)
    # e.g. row 1 = mean of (1/3, 1/3, 1/3) and softmax(0, 0, 3)
    assert rel[1, 2].item() == pytest.approx(
        (1 / 3 + np.exp(3) / (2 + np.exp(3))) / 2, abs=1e-6)


def test_direct_is_independent_of_order_and_batching():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(50, 7, generator=g)
    labels = torch.randint(0, 4, (50, ), generator=g)
    labels[:4] = torch.arange(4)
    whole = direct_relationship(*accumulate_source_probs(logits, labels, 4))
    perm = torch.randperm(50, generator=g)
    sums, counts = 0, 0
    for chunk in perm.split(6):  # uneven batches, shuffled order
        s, c = accumulate_source_probs(logits[chunk], labels[chunk], 4)
        sums, counts = sums + s, counts + c
    torch.testing.assert_close(direct_relationship(sums, counts), whole)
    # equals a scatter-mean written differently
    p = torch.softmax(logits.double(), 1)
    ref = torch.stack([p[labels == c].mean(0) for c in range(4)]).float()
    torch.testing.assert_close(whole, ref)


def test_direct_temperature_and_one_hot_sanity():
    labels = torch.tensor([0, 0, 1, 2])
    perm = torch.tensor([4, 1,
                         3])  # class c always predicted as source perm[c]
    logits = torch.full((4, 6), -1e4)
    logits[torch.arange(4), perm[labels]] = 1e4
    rel = direct_relationship(*accumulate_source_probs(logits, labels, 3))
    torch.testing.assert_close(rel, torch.eye(6)[perm])
    # T -> inf: uniform rows; smaller T: sharper rows
    noisy = torch.randn(4, 6)
    flat = direct_relationship(
        *accumulate_source_probs(noisy, labels, 3, temperature=1e6))
    torch.testing.assert_close(flat, torch.full((3, 6), 1 / 6))
    sharp = direct_relationship(
        *accumulate_source_probs(noisy, labels, 3, temperature=0.5))
    soft = direct_relationship(
        *accumulate_source_probs(noisy, labels, 3, temperature=2.0))
    assert (sharp.max(1).values > soft.max(1).values).all()


def test_direct_rejects_an_empty_class():
    sums, counts = accumulate_source_probs(
        torch.randn(3, 4), torch.tensor([0, 0, 2]), 3)
    with pytest.raises(ValueError, match=r'target classes \[1\]'):
        direct_relationship(sums, counts)


def test_reverse_is_a_distribution_and_finds_the_mapping():
    rng = np.random.default_rng(0)
    perm = np.array([2, 0, 3])  # target class c looks like source perm[c]
    labels = np.repeat(np.arange(3), 20)
    logits = rng.normal(0, 0.3, (60, 5))
    logits[np.arange(60), perm[labels]] += 4
    probs = softmax(logits)
    rel = reverse_relationship(probs, labels, 3, cs=(1.0, 10.0, 100.0))
    assert rel.shape == (3, 5)
    assert (rel >= 0).all()
    np.testing.assert_allclose(rel.sum(1).numpy(), 1, atol=1e-5)
    assert rel.argmax(1).tolist() == perm.tolist()


def test_check_relationship_messages():
    good = torch.full((3, 5), 0.2)
    check_relationship(good, 3, 5, 'x')
    with pytest.raises(ValueError, match=r'shape \(3, 4\).*\(3, 5\)'):
        check_relationship(torch.full((3, 4), 0.25), 3, 5, 'the cache')
    with pytest.raises(ValueError, match='do not sum to 1'):
        check_relationship(torch.zeros(3, 5), 3, 5, 'the cache')
    negative = good.clone()
    negative[0, :2] = torch.tensor([-0.2, 0.6])
    with pytest.raises(ValueError, match='negative entries'):
        check_relationship(negative, 3, 5, 'the head')
    with pytest.raises(ValueError, match=r'the head .*\. Add the hook\.$'):
        check_relationship(
            torch.zeros(3, 5), 3, 5, 'the head', hint='Add the hook.')


def optimal_scale(scores: np.ndarray, labels: np.ndarray) -> float:
    """The minimiser of the official calibration's NLL, found another way:
    scipy's bounded Brent search on the NLL itself (not its slope)."""
    from scipy.optimize import minimize_scalar
    from scipy.special import logsumexp

    def nll(s):
        z = s * scores
        return np.mean(logsumexp(z, 1) - z[np.arange(len(labels)), labels])

    return minimize_scalar(
        nll, bounds=(-100, 100), method='bounded', options=dict(xatol=1e-12)).x


def held_out_case(seed=7, n=240, num_source=9, num_target=4):
    """Source probabilities whose target labels are noisy (not separable)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(num_target), n // num_target)
    home = rng.permutation(num_source)[:num_target]
    logits = rng.normal(0, 1.0, (n, num_source))
    logits[np.arange(n), home[labels]] += 1.5
    return softmax(logits / 1.131), labels, home


def test_calibration_reaches_the_optimum():
    """The official code fits the scale s of the calibrated classifier by
    LBFGS; ours must reach the optimum of that fit (to 1e-6), also where s
    is far from its start of 1."""
    probs, labels, home = held_out_case()
    for stretch in (1.0, 0.05, 12.0):
        rng = np.random.default_rng(1)
        coef = stretch * rng.normal(0, 1, (4, probs.shape[1]))
        coef[np.arange(4), home] += 4 * stretch
        scores = probs @ coef.T
        want = optimal_scale(scores, labels)
        got = calibration_scale(
            torch.from_numpy(scores), torch.from_numpy(labels))
        assert got == pytest.approx(want, abs=1e-6, rel=1e-7)


def official_calibrate(scores: np.ndarray, labels: np.ndarray) -> float:
    """The official ``calibrate`` (thuml/CoTuning), written out: s from 1
    by ``torch.optim.LBFGS`` with its defaults on the float32 NLL, up to 20
    steps, ending once a step's cumulative iteration count is below 20."""
    logits = torch.from_numpy(scores.astype(np.float32))
    target = torch.from_numpy(labels)
    scale = torch.nn.Parameter(torch.ones(1, 1))
    optim = torch.optim.LBFGS([scale])

    def loss():
        optim.zero_grad()
        value = torch.nn.CrossEntropyLoss()(logits * scale, target)
        value.backward()
        return value

    for _ in range(20):
        optim.step(loss)
        if optim.state[scale]['n_iter'] < 20:
            break
    return scale.item()


SEPARABLE = {
    'own score largest': (np.array([[3., 1., 0.], [0., 2., 1.], [0., .5, 4.],
                                    [1., 0., .2],
                                    [.1, .3, .2]]), np.array([0, 1, 2, 0, 1])),
    'own score smallest': (np.array([[0., 1., 2.], [3., 0., 1.],
                                     [1., 2., .5]]), np.array([0, 1, 2])),
    'constant rows': (np.full((4, 3), 0.7), np.array([0, 1, 2, 0])),
}


@pytest.mark.parametrize('case', list(SEPARABLE))
def test_calibration_without_a_minimiser_stops_where_the_official_does(case):
    """The NLL of separating scores has no minimiser; s is where the
    official fit stops, to the bit."""
    scores, labels = SEPARABLE[case]
    got = calibration_scale(torch.from_numpy(scores), torch.from_numpy(labels))
    assert got == official_calibrate(scores, labels)
    # the official fit moved from its start but for the constant NLL
    assert (got == 1.0) == (case == 'constant rows')


def official_reverse(probs,
                     labels,
                     num_classes,
                     c,
                     val_ratio=0.2,
                     calibrate=optimal_scale):
    """The official ``relationship_learning`` (thuml/CoTuning), given the
    calibrated probabilities, one C, and the same held-out split as ours;
    its calibration by ``calibrate`` (solved to the optimum by default)."""
    from sklearn.linear_model import LogisticRegression
    train, val = _holdout_split(labels, val_ratio, seed=0)
    clf = LogisticRegression(C=c, fit_intercept=False, max_iter=100)
    clf.fit(probs[train], labels[train])
    scale = calibrate(np.matmul(probs[val], clf.coef_.T), labels[val])
    target_given_source = softmax(clf.coef_.T * scale)  # [C_s, C_t]
    joint = (target_given_source * probs.mean(0)[:, None]).T
    return joint / joint.sum(1, keepdims=True)


def test_reverse_matches_the_official_estimate():
    probs, labels, _ = held_out_case(seed=11)
    got = reverse_relationship(probs, labels, 4, cs=(3.0, ))
    want = official_reverse(probs, labels, 4, c=3.0)
    np.testing.assert_allclose(got.double().numpy(), want, atol=1e-6)


def test_reverse_on_a_separable_hold_out_is_the_official_estimate():
    """10 held-out samples of 1000 source classes that the classifier
    separates: the official fit stops at a finite scale, and so do we."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(5), 10)
    logits = rng.normal(0, 1.0, (50, 1000))
    logits[np.arange(50), rng.permutation(1000)[:5][labels]] += 8
    probs = softmax(logits * 0.8840456604957581)
    got = reverse_relationship(probs, labels, 5, cs=(1e4, ))
    want = official_reverse(
        probs, labels, 5, c=1e4, calibrate=official_calibrate)
    np.testing.assert_allclose(got.double().numpy(), want, rtol=0, atol=1e-7)
    # the hold-out is separable: the solved-to-the-optimum estimate differs
    _, val = _holdout_split(labels, 0.2, seed=0)
    assert len(val) == 10
    unbounded = official_reverse(
        probs, labels, 5, c=1e4, calibrate=lambda *_: 8.0)
    assert np.abs(unbounded - want).max() > 1e-3
