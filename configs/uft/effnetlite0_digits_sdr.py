# + sparse source data replaying: the 100 replayed photo crops join the
# unlabelled digits (one shuffled pass over both); no mixed queries.
_base_ = ['./effnetlite0_digits.py']
model = dict(mix=None)
