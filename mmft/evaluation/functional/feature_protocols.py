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
