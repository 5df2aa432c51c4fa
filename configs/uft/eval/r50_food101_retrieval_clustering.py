# Retrieval precision@5 (test queries against the train split) and K-Means
# BCubed precision (of the train split) of a backbone's GAP features:
#   python tools/test.py THIS_CONFIG CKPT
_base_ = ['../fewshot/r50_food101_kshot.py']
model = dict(
    backbone=dict(init_cfg=None),  # tools/test.py loads CKPT's backbone.*
    head=dict(_delete_=True, type='FeatureHead'))
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='QueryDatabaseDataset',
        database=dict(
            type='Food101',
            data_root={{_base_.data_root}},
            split='train',
            pipeline={{_base_.test_pipeline}}),
        query={{_base_.val_dataloader.dataset}}))
test_evaluator = [
    dict(type='RetrievalPrecisionAtK', topk=5),
    dict(type='KMeansBCubed', seeds=(0, 1, 2)),
]
# a progress bar over the feature extraction
custom_hooks = [dict(type='ProgressBarHook')]
