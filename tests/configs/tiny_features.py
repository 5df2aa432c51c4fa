# Retrieval and clustering of a tiny backbone (see tiny_fewshot.py); tests
# set both roots.
_base_ = ['./tiny_fewshot.py']
model = dict(
    backbone=dict(init_cfg=None), head=dict(_delete_=True, type='FeatureHead'))
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='QueryDatabaseDataset',
        database=dict(
            type='CustomDataset',
            data_root='SET_BY_TEST',
            data_prefix='train',
            pipeline={{_base_.pipeline}}),
        query={{_base_.val_dataloader.dataset}}))
test_evaluator = [
    dict(type='RetrievalPrecisionAtK', topk=5),
    dict(type='KMeansBCubed', seeds=(0, 1)),
]
# a progress bar over the feature extraction
custom_hooks = [dict(type='ProgressBarHook')]
