"""UFT's retrieval and clustering protocols on feature matrices."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmft.evaluation.functional import (alignment_uniformity, bcubed,
                                        kmeans_bcubed, kshot_nearest_mean,
                                        retrieval_precision_at_k)


def test_bcubed_hand_cases():
    labels = torch.tensor([0, 0, 1, 1])
    assert bcubed(torch.tensor([0, 0, 0, 1]),
                  labels)[0] == pytest.approx(2 / 3)
    assert bcubed(labels, labels) == (1.0, 1.0, 1.0)
    assert bcubed(torch.tensor([5, 5, 9, 9]), labels)[0] == 1.0  # relabel
    assert bcubed(torch.arange(4), labels)[0] == 1.0  # singletons
    one = bcubed(torch.zeros(6).long(), torch.tensor([0, 0, 0, 1, 1, 2]))
    assert one[0] == pytest.approx((3 / 6)**2 + (2 / 6)**2 + (1 / 6)**2)
    assert one[1] == 1.0


def test_retrieval_precision():
    labels = torch.arange(4).repeat_interleave(6)  # 4 classes x 6
    onehot = torch.eye(4)[labels]
    assert retrieval_precision_at_k(onehot, labels, onehot * 3.0,
                                    labels) == 1.0
    # half the top-5 of class 0 queries are wrong: a hand case
    db = torch.tensor([[1., 0.], [1., 0.], [0.9, 0.1], [0., 1.], [0., 1.],
                       [0.95, 0.05]])
    db_labels = torch.tensor([0, 0, 1, 1, 1, 1])
    score = retrieval_precision_at_k(
        torch.tensor([[1., 0.]]), torch.tensor([0]), db, db_labels, k=4)
    assert score == pytest.approx(2 / 4)
    torch.manual_seed(0)
    q, db, q_labels = torch.randn(40, 8), torch.randn(24,
                                                      8), torch.arange(40) % 4
    rand = retrieval_precision_at_k(q, q_labels, db, labels, block=7)
    want = 0.0  # a loop over queries, sorted by (-cosine, index)
    for vec, label in zip(q, q_labels.tolist()):
        sims = [(-float(F.cosine_similarity(vec, d, dim=0)), i)
                for i, d in enumerate(db)]
        top = [i for _, i in sorted(sims)[:5]]
        want += sum(int(labels[i]) == label for i in top) / 5
    assert rand == pytest.approx(want / 40)
    with pytest.raises(ValueError, match='larger than the database'):
        retrieval_precision_at_k(onehot, labels, onehot[:3], labels[:3])


def test_kmeans_on_separated_blobs_is_perfect():
    torch.manual_seed(0)
    labels = torch.arange(3).repeat_interleave(20)
    centres = torch.eye(3) * 10
    feats = centres[labels] + 0.1 * torch.randn(60, 3)
    assert kmeans_bcubed(feats, labels, 3) == pytest.approx((1, 1, 1))


def test_alignment_uniformity_hand_case():
    """Two classes on orthogonal axes, two images each: same-class pairs
    at distance 0, the 8 ordered cross pairs at squared distance 2."""
    feats = torch.tensor([[3., 0], [1, 0], [0, 2], [0, 5]])
    align, uniform = alignment_uniformity(feats, torch.tensor([0, 0, 1, 1]))
    assert align == pytest.approx(0.0, abs=1e-12)
    assert uniform == pytest.approx(math.log((4 + 8 * math.exp(-4)) / 12))
    # one class on opposite poles: squared distance 4 each pair
    align, uniform = alignment_uniformity(
        torch.tensor([[1., 0], [-1, 0]]), torch.tensor([0, 0]), t=0.5)
    assert align == pytest.approx(4.0)
    assert uniform == pytest.approx(-2.0)


def test_alignment_uniformity_matches_a_loop():
    torch.manual_seed(0)
    feats, labels = torch.randn(12, 5), torch.arange(12) % 3
    z = F.normalize(feats.double(), dim=1)
    pairs = [(i, j) for i in range(12) for j in range(12) if i != j]
    dist = {p: float((z[p[0]] - z[p[1]]).pow(2).sum()) for p in pairs}
    same = [dist[p] for p in pairs if labels[p[0]] == labels[p[1]]]
    want_u = math.log(
        sum(math.exp(-3 * d) for d in dist.values()) / len(pairs))
    align, uniform = alignment_uniformity(feats * 7, labels, t=3)
    assert align == pytest.approx(sum(same) / len(same))
    assert uniform == pytest.approx(want_u)
    with pytest.raises(ValueError, match='two items of one class'):
        alignment_uniformity(feats[:3], labels[:3])


def test_kshot_nearest_mean_hand_cases():
    # every image of a class the same: any draw gives the same means
    database = torch.tensor([[2., 0]] * 3 + [[0, 5.]] * 3)
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    query = torch.tensor([[1., 0.1], [0.1, 1], [1, 0.2]])
    for seed in range(3):
        assert kshot_nearest_mean(query, torch.tensor([0, 1, 1]), database,
                                  labels, 2, seed) == pytest.approx(2 / 3)
    # K = the whole class: the means of the normalised features, whose
    # boundary the query [1, 1.2] crosses only with normalisation
    database = torch.tensor([[10., 0], [0, 1], [0, 1], [1, 0]])
    labels = torch.tensor([0, 1, 1, 0])
    assert kshot_nearest_mean(
        torch.tensor([[1, 0.9], [0.9, 1]]), torch.tensor([0, 1]), database,
        labels, 2, 0) == 1.0
    with pytest.raises(ValueError, match='fewer than shots=3'):
        kshot_nearest_mean(query, labels[:3], database, labels, 3, 0)


def test_kshot_nearest_mean_draws_k_per_class_by_seed():
    """Class 0 has one good and one misleading image, class 1 two equal
    ones: K=1 scores 1 or 0 by the image numpy's default_rng(seed) draws."""
    database = torch.tensor([[1., 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 0]])
    labels = torch.tensor([0, 0, 1, 1])
    query, query_labels = torch.tensor([[1., 0.5, 0]]), torch.tensor([0])
    got = [
        kshot_nearest_mean(query, query_labels, database, labels, 1, seed)
        for seed in range(8)
    ]
    want = [
        float(np.random.default_rng(seed).choice([0, 1], 1)[0] == 0)
        for seed in range(8)
    ]
    assert got == want and 0 < sum(got) < 8
