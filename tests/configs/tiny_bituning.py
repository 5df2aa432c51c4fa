# A Bi-tuning run small enough for CI: the method's delta on tiny_erm.py.
# The two views are deterministic (the key view is the flipped image), so
# that a resumed run can be compared with an uninterrupted one.
_base_ = ['./tiny_erm.py', './methods/bituning.py']
model = _base_.bituning.model
train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[[], [dict(type='RandomFlip', prob=1.0)]]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
optim_wrapper = dict(optimizer=dict(lr=0.05))
