"""Values of the relationship estimates (method notes, 7. Co-tuning 1-4)."""
import numpy as np
import pytest
import torch

from mmft.models.utils import (accumulate_source_probs, direct_relationship,
                               reverse_relationship, validate_relationship)


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
    perm = torch.tensor([4, 1, 3])  # class c always predicted as source perm[c]
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


def test_validate_relationship_messages():
    good = torch.full((3, 5), 0.2)
    validate_relationship(good, 3, 5, 'x')
    with pytest.raises(ValueError, match=r'shape \(3, 4\).*\(3, 5\)'):
        validate_relationship(torch.full((3, 4), 0.25), 3, 5, 'the cache')
    with pytest.raises(ValueError, match='do not sum to 1'):
        validate_relationship(torch.zeros(3, 5), 3, 5, 'the cache')
