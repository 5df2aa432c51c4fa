"""UFT's retrieval and clustering protocols on feature matrices."""
import pytest
import torch
import torch.nn.functional as F

from mmft.evaluation.functional import (bcubed, kmeans_bcubed,
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
