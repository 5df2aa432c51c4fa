# UFT: source replay + CutMix-mixed queries (lambda ~ Beta(1, 1), one mixed
# query per sample with a permuted partner, clean queries kept).
_base_ = ['./r50_mocov2_cifar100_sdr.py']
model = dict(
    mix=dict(_delete_=True, type='cutmix', alpha=1.0, pairing='batch_perm'))
