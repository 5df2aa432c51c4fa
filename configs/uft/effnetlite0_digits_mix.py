# + CutMix-mixed queries on the digits alone (no source replay): the row the
# paper's Table 6 leaves out.
_base_ = ['./effnetlite0_digits_naive.py']
model = dict(
    mix=dict(_delete_=True, type='cutmix', alpha=1.0, pairing='batch_perm'))
