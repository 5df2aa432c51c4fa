# + sparse source data replaying: a fixed 10 % of ImageNet train joins the
# target, one shuffled pass over both (mode='ratio' fixes the share a batch).
_base_ = ['./r50_mocov2_pets_naive.py']
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[{{_base_.target}}, {{_base_.source}}],
        ignore_keys=['classes', 'dataset_type']),
    sampler=dict(_delete_=True, type='SourceReplaySampler', mode='concat'))
