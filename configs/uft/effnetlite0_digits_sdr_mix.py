# UFT: source replay + CutMix-mixed queries. This is the demo's config
# (effnetlite0_digits.py) under its ablation name, so that the sweep's table
# names each row by its variant.
_base_ = ['./effnetlite0_digits.py']
