"""UFT's unsupervised evaluation protocols on feature matrices (method
notes of UFT, 6.2 and 6.3)."""
from typing import Tuple

import numpy as np
import torch
import torch.nn.functional as F


def bcubed(clusters: torch.Tensor,
           labels: torch.Tensor) -> Tuple[float, float, float]:
    """BCubed precision, recall and F of a clustering (every item counts
    itself): ``P = (1/N) sum_k sum_l n_kl^2 / n_k``, ``R`` likewise over
    label sizes.

    Args:
        clusters (Tensor): ``[N]`` cluster id of each item.
        labels (Tensor): ``[N]`` true class of each item.

    Returns:
        tuple: precision, recall, F (floats in [0, 1]).
    """
    clusters = torch.unique(torch.as_tensor(clusters), return_inverse=True)[1]
    labels = torch.unique(torch.as_tensor(labels), return_inverse=True)[1]
    num_k, num_l = int(clusters.max()) + 1, int(labels.max()) + 1
    joint = torch.bincount(
        clusters * num_l + labels,
        minlength=num_k * num_l).double().view(num_k, -1)
    total = float(joint.sum())
    precision = float(
        (joint.pow(2).sum(1) / joint.sum(1).clamp_min(1)).sum() / total)
    recall = float(
        (joint.pow(2).sum(0) / joint.sum(0).clamp_min(1)).sum() / total)
    f = 2 * precision * recall / (precision + recall)
    return precision, recall, f


@torch.no_grad()
def retrieval_precision_at_k(query: torch.Tensor,
                             query_labels: torch.Tensor,
                             database: torch.Tensor,
                             database_labels: torch.Tensor,
                             k: int = 5,
                             block: int = 1024,
                             exclude_self: bool = False) -> float:
    """Mean over queries of the share of same-class items among the k most
    cosine-similar database items (ties: lower database index first).

    Args:
        query (Tensor): ``[Q, D]`` query features (test split).
        query_labels (Tensor): ``[Q]``.
        database (Tensor): ``[N, D]`` database features (train split).
        database_labels (Tensor): ``[N]``.
        k (int): Neighbours. Defaults to 5.
        block (int): Queries per block. Defaults to 1024.
        exclude_self (bool): Query and database are the same set: a query
            does not retrieve itself (leave-one-out). Defaults to False.

    Returns:
        float: Precision@k in [0, 1].
    """
    if k > database.shape[0] - int(exclude_self):
        raise ValueError(f'k={k} is larger than the database '
                         f'({database.shape[0]} items)')
    if exclude_self and query.shape[0] != database.shape[0]:
        raise ValueError('exclude_self needs the query set to be the '
                         'database')
    query = F.normalize(query.float(), dim=1)
    database = F.normalize(database.float(), dim=1)
    database_labels = database_labels.to(database.device)
    hits = 0.0
    for start in range(0, query.shape[0], block):
        sim = query[start:start + block].to(database.device) @ database.T
        if exclude_self:
            rows = torch.arange(sim.shape[0], device=sim.device)
            sim[rows, rows + start] = float('-inf')
        top = torch.sort(sim, dim=1, descending=True, stable=True)[1][:, :k]
        own = query_labels[start:start + block].to(database.device)
        hits += float((database_labels[top] == own[:, None]).float().sum())
    return hits / (query.shape[0] * k)


def kmeans_bcubed(features: torch.Tensor,
                  labels: torch.Tensor,
                  num_clusters: int,
                  seed: int = 0,
                  n_init: int = 10) -> Tuple[float, float, float]:
    """K-Means (k-means++, scikit-learn) on L2-normalised features, scored
    by :func:`bcubed`.

    Returns:
        tuple: BCubed precision, recall, F.
    """
    from sklearn.cluster import KMeans
    data = F.normalize(features.float(), dim=1).cpu().numpy()
    kmeans = KMeans(
        num_clusters,
        init='k-means++',
        n_init=n_init,
        max_iter=300,
        random_state=seed)
    clusters = kmeans.fit_predict(data.astype(np.float32))
    return bcubed(torch.as_tensor(clusters), torch.as_tensor(labels))


@torch.no_grad()
def alignment_uniformity(features: torch.Tensor,
                         labels: torch.Tensor,
                         t: float = 2.0) -> Tuple[float, float]:
    """Class alignment and uniformity of L2-normalised features (Wang and
    Isola, 2020; the split of the contrastive loss that UFT's Eq. 1-3 argue
    with), over all pairs of distinct items:
    ``alignment = mean_{i != j, y_i = y_j} |z_i - z_j|^2`` (the positive
    pairs are same-class images; lower: tighter classes) and
    ``uniformity = log mean_{i != j} exp(-t |z_i - z_j|^2)`` (lower: the
    features spread more evenly over the sphere).

    Args:
        features (Tensor): ``[N, D]`` features.
        labels (Tensor): ``[N]`` classes; some class needs two items.
        t (float): Uniformity's kernel scale. Defaults to 2.

    Returns:
        tuple: alignment (in [0, 4]), uniformity (<= 0).
    """
    z = F.normalize(features.double(), dim=1)
    dist = (2 - 2 * z @ z.T).clamp_min(0)
    labels = torch.as_tensor(labels).to(dist.device)
    other = ~torch.eye(len(z), dtype=torch.bool, device=dist.device)
    same = (labels[:, None] == labels[None]) & other
    if not same.any():
        raise ValueError('alignment needs two items of one class')
    alignment = float(dist[same].mean())
    uniformity = float(torch.log(torch.exp(-t * dist[other]).mean()))
    return alignment, uniformity


@torch.no_grad()
def kshot_nearest_mean(query: torch.Tensor, query_labels: torch.Tensor,
                       database: torch.Tensor, database_labels: torch.Tensor,
                       shots: int, seed: int) -> float:
    """Top-1 of a nearest-class-mean classifier built from ``shots`` random
    database images a class (L2-normalised features, cosine): K-shot
    transfer without training, so without an optimiser's noise.

    Args:
        query (Tensor): ``[Q, D]`` test features.
        query_labels (Tensor): ``[Q]``.
        database (Tensor): ``[N, D]`` labelled pool (train split).
        database_labels (Tensor): ``[N]``.
        shots (int): K, images drawn a class (without replacement).
        seed (int): Seed of the draw (``numpy.random.default_rng``).

    Returns:
        float: Accuracy in [0, 1] over the queries.
    """
    database = F.normalize(database.float(), dim=1)
    classes = torch.unique(database_labels)
    rng = np.random.default_rng(seed)
    means = []
    for c in classes.tolist():
        pool = torch.nonzero(database_labels == c)[:, 0].numpy()
        if len(pool) < shots:
            raise ValueError(f'class {c} has {len(pool)} database images, '
                             f'fewer than shots={shots}')
        chosen = torch.as_tensor(rng.choice(pool, shots, replace=False))
        means.append(database[chosen].mean(0))
    sim = F.normalize(
        query.float(), dim=1) @ F.normalize(
            torch.stack(means), dim=1).T
    predicted = classes[sim.argmax(1)]
    return float((predicted == query_labels).float().mean())
