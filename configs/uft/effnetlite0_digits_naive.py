# Naive UFT on the digits (the ablation's first row): MoCo v2 continued on
# the unlabelled digits alone, no source replay, no mixed queries.
_base_ = ['./effnetlite0_digits.py']
model = dict(mix=None)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root={{_base_.data_root}},
        data_prefix='train',
        pipeline={{_base_.train_pipeline}}),
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True, seed=0))
