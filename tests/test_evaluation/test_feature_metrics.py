"""Registered feature metrics, FeatureHead and QueryDatabaseDataset."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

import mmft.datasets  # noqa: F401
import mmft.evaluation  # noqa: F401
import mmft.models  # noqa: F401
from mmft.evaluation.functional import (alignment_uniformity,
                                        kshot_nearest_mean,
                                        retrieval_precision_at_k)
from mmft.registry import DATASETS, METRICS, MODELS


def samples(features, labels, is_query=None, order=None):
    """Data samples as FeatureHead and QueryDatabaseDataset leave them."""
    out = []
    for i in order if order is not None else range(len(labels)):
        s = DataSample().set_gt_label(int(labels[i]))
        if is_query is not None:
            s.set_metainfo(dict(is_query=bool(is_query[i]), eval_index=i))
        s.set_field(features[i], 'feature', field_type='data')
        out.append(s.to_dict())
    return out


def evaluate(cfg, data):
    init_default_scope('mmft')
    metric = METRICS.build(cfg)
    half = len(data) // 2
    metric.process(None, data[:half])  # two batches
    metric.process(None, data[half:])
    return metric.evaluate(len(data))


def test_retrieval_metric_scores_queries_against_the_database():
    torch.manual_seed(0)
    feats = torch.randn(30, 8)
    labels = torch.arange(30) % 3
    is_query = torch.arange(30) >= 20
    want = retrieval_precision_at_k(feats[20:], labels[20:], feats[:20],
                                    labels[:20], 5)
    # arrival order does not matter (distributed collection): eval_index does
    order = torch.randperm(30).tolist()
    got = evaluate(
        dict(type='RetrievalPrecisionAtK', topk=5),
        samples(feats, labels, is_query, order))
    assert got == {'retrieval/precision@5': pytest.approx(100 * want)}


def test_retrieval_metric_without_split_is_leave_one_out():
    labels = torch.arange(4).repeat_interleave(3)
    feats = torch.eye(4)[labels] + 0.01 * torch.randn(12, 4)
    # each image has 2 same-class neighbours besides itself: top-2 is perfect
    got = evaluate(
        dict(type='RetrievalPrecisionAtK', topk=2), samples(feats, labels))
    assert got['retrieval/precision@2'] == pytest.approx(100.0)
    got = evaluate(
        dict(type='RetrievalPrecisionAtK', topk=4), samples(feats, labels))
    assert got['retrieval/precision@4'] == pytest.approx(50.0)


def test_kmeans_metric_clusters_the_database_only():
    torch.manual_seed(0)
    labels = torch.arange(3).repeat_interleave(10)
    feats = torch.eye(3)[labels] * 10 + 0.1 * torch.randn(30, 3)
    queries = torch.randn(10, 3)  # noise: would spoil a clustering of all
    got = evaluate(
        dict(type='KMeansBCubed', seeds=(0, 1)),
        samples(
            torch.cat([feats, queries]),
            torch.cat([labels, torch.zeros(10).long()]),
            torch.arange(40) >= 30))
    assert got == {
        'clustering/bcubed_precision': pytest.approx(100.0),
        'clustering/bcubed_recall': pytest.approx(100.0),
        'clustering/bcubed_f': pytest.approx(100.0)
    }


def test_alignment_uniformity_metric_reads_the_database_only():
    torch.manual_seed(0)
    labels = torch.arange(3).repeat_interleave(4)
    feats = torch.randn(12, 6)
    queries = torch.randn(5, 6)
    got = evaluate(
        dict(type='AlignmentUniformity', t=1.5),
        samples(
            torch.cat([feats, queries]),
            torch.cat([labels, torch.zeros(5).long()]),
            torch.arange(17) >= 12))
    align, uniform = alignment_uniformity(feats, labels, t=1.5)
    assert got == {
        'geometry/alignment': pytest.approx(align),
        'geometry/uniformity': pytest.approx(uniform),
        'geometry/norm': pytest.approx(float(feats.norm(dim=1).mean()))
    }
    with pytest.raises(ValueError, match='test_evaluator t'):
        METRICS.build(dict(type='AlignmentUniformity', t=0))


def test_kshot_nearest_mean_metric_averages_the_draws():
    torch.manual_seed(0)
    labels = torch.arange(3).repeat_interleave(5)
    feats = torch.eye(3)[labels] + 0.9 * torch.randn(15, 3)
    queries, query_labels = torch.randn(6, 3), torch.arange(6) % 3
    got = evaluate(
        dict(type='KShotNearestMean', shots=(1, 3), trials=4),
        samples(
            torch.cat([feats, queries]), torch.cat([labels, query_labels]),
            torch.arange(21) >= 15))
    want = {
        f'kshot_ncm/{k}-shot': pytest.approx(100 * sum(
            kshot_nearest_mean(queries, query_labels, feats, labels, k, t)
            for t in range(4)) / 4)
        for k in (1, 3)
    }
    assert got == want
    with pytest.raises(ValueError, match='QueryDatabaseDataset'):
        evaluate(dict(type='KShotNearestMean'), samples(feats, labels))
    for bad in (dict(shots=(0, )), dict(shots=()), dict(trials=0)):
        with pytest.raises(ValueError, match='test_evaluator'):
            METRICS.build(dict(type='KShotNearestMean', **bad))


def as_two_ranks(monkeypatch, cfg, data, batch_size=2):
    """Evaluate ``data`` as two processes would, in this one: each rank
    processes its share from mmengine's DefaultSampler (padded to equal
    length), and rank 0 gets both parts through mmengine's own
    ``collect_results`` ordering."""
    import mmengine.dataset.sampler as sampler_module
    import mmengine.dist.dist as dist_module
    import mmengine.evaluator.metric as metric_module
    from mmengine.dataset import DefaultSampler
    init_default_scope('mmft')
    metrics = []
    for rank in range(2):
        monkeypatch.setattr(
            sampler_module, 'get_dist_info', lambda rank=rank: (rank, 2))
        indices = list(DefaultSampler(data, shuffle=False))
        metric = METRICS.build(cfg)
        for start in range(0, len(indices), batch_size):
            metric.process(
                None, [data[i] for i in indices[start:start + batch_size]])
        metrics.append(metric)
    parts = [metric.results for metric in metrics]
    monkeypatch.setattr(
        dist_module, 'get_dist_info', lambda group=None: (0, 2))
    monkeypatch.setattr(
        dist_module, 'all_gather_object', lambda obj, group=None: parts)
    monkeypatch.setattr(
        metric_module,
        'collect_results',
        lambda results, size, device='cpu', tmpdir=None: dist_module.
        collect_results(results, size, 'gpu'))  # the gather-based path
    return metrics[0].evaluate(len(data))


@pytest.mark.parametrize('split', [False, True])
@pytest.mark.parametrize(
    'cfg', [
        dict(type='RetrievalPrecisionAtK', topk=3),
        dict(type='KMeansBCubed', num_clusters=3, seeds=(0, )),
        dict(type='AlignmentUniformity')
    ],
    ids=['retrieval', 'kmeans', 'geometry'])
def test_two_ranks_score_every_sample_once(monkeypatch, cfg, split):
    """With or without QueryDatabaseDataset's ``eval_index``: two ranks
    (the sampler pads 9 samples to 10) give the one-process scores."""
    torch.manual_seed(0)
    labels = torch.arange(9) % 3
    feats = torch.eye(3)[labels] + 0.8 * torch.randn(9, 3)
    data = samples(feats, labels, (torch.arange(9) >= 5) if split else None)
    want = evaluate(cfg, data)
    assert as_two_ranks(monkeypatch, cfg, data) == pytest.approx(want)


def test_metrics_name_what_is_missing():
    init_default_scope('mmft')
    data = [DataSample().set_gt_label(0).to_dict()]
    with pytest.raises(KeyError, match='FeatureHead'):
        METRICS.build(dict(type='RetrievalPrecisionAtK')).process(None, data)
    with pytest.raises(ValueError, match='topk'):
        METRICS.build(dict(type='RetrievalPrecisionAtK', topk=0))
    with pytest.raises(ValueError, match='num_clusters'):
        METRICS.build(dict(type='KMeansBCubed', num_clusters=1))


def test_feature_head_returns_pooled_features_and_refuses_loss():
    init_default_scope('mmft')
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='ResNet', depth=18, base_channels=8, stem_channels=8),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='FeatureHead'))).eval()
    x = torch.randn(2, 3, 32, 32)
    out = model(
        x, [DataSample().set_gt_label(1) for _ in range(2)], mode='predict')
    want = model.neck(model.backbone(x))[-1]
    torch.testing.assert_close(torch.stack([o.feature for o in out]), want)
    with pytest.raises(RuntimeError, match='test configs'):
        model(x, [DataSample().set_gt_label(1)] * 2, mode='loss')


class _Toy:
    """A two-item dataset of packed samples."""

    def __init__(self, label):
        self.label = label

    def __len__(self):
        return 2

    def __getitem__(self, i):
        return dict(
            inputs=torch.zeros(1),
            data_samples=DataSample().set_gt_label(self.label))


def test_query_database_dataset_marks_the_split():
    init_default_scope('mmft')
    data = DATASETS.build(
        dict(type='QueryDatabaseDataset', database=_Toy(0), query=_Toy(1)))
    assert len(data) == 4
    marks = [(data[i]['data_samples'].is_query,
              data[i]['data_samples'].eval_index,
              int(data[i]['data_samples'].gt_label)) for i in range(4)]
    assert marks == [(False, 0, 0), (False, 1, 0), (True, 2, 1), (True, 3, 1)]
    assert data[-1]['data_samples'].eval_index == 3
    with pytest.raises(TypeError, match='test_dataloader.dataset.query'):
        DATASETS.build(
            dict(type='QueryDatabaseDataset', database=_Toy(0), query=3))
