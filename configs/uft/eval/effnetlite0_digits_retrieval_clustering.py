# Retrieval precision@5 (test half against the training half) and K-Means
# BCubed precision (training half) of EfficientNet-Lite0 GAP features; as
# diagnostics their class alignment and uniformity, and K-shot top-1 of the
# nearest class mean (no training):
#   python tools/test.py \
#     configs/uft/eval/effnetlite0_digits_retrieval_clustering.py CKPT
_base_ = ['../fewshot/effnetlite0_digits_kshot.py']
model = dict(
    backbone=dict(init_cfg=None),  # tools/test.py loads CKPT's backbone.*
    head=dict(_delete_=True, type='FeatureHead'))
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='QueryDatabaseDataset',
        database=dict(
            type='CustomDataset',
            data_root={{_base_.data_root}},
            data_prefix='train',
            pipeline={{_base_.digits_test_pipeline}}),
        query={{_base_.val_dataloader.dataset}}))
test_evaluator = [
    dict(type='RetrievalPrecisionAtK', topk=5),
    dict(type='KMeansBCubed', seeds=(0, 1, 2)),
    # diagnostics: the features' geometry, and K-shot without finetuning
    dict(type='AlignmentUniformity'),
    dict(type='KShotNearestMean', shots=(1, 2, 4), trials=10),
]
# a progress bar over the feature extraction
custom_hooks = [dict(type='ProgressBarHook')]
