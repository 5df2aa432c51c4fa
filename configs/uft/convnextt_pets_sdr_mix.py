# UFT of ConvNeXt-T on Oxford-IIIT Pet: a fixed 10 % of ImageNet train
# replayed beside the target (one shuffled pass over both) and
# CutMix-mixed queries (lambda ~ Beta(1, 1), a permuted partner, clean
# queries kept), as configs/uft/r50_mocov2_pets_sdr_mix.py.
_base_ = ['./convnextt_pets_naive.py']
model = dict(
    mix=dict(_delete_=True, type='cutmix', alpha=1.0, pairing='batch_perm'))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[{{_base_.target}}, {{_base_.source}}],
        ignore_keys=['classes', 'dataset_type']),
    sampler=dict(_delete_=True, type='SourceReplaySampler', mode='concat'))
