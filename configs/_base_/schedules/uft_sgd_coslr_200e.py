# UFT (paper): lr 0.015 at batch 256 (half of MoCo v2's), 200 epochs,
# cosine; SGD momentum 0.9, wd 1e-4 as MoCo v2. The cosine is stepped per
# iteration because a small target gives few iterations an epoch.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.015, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=200,
        by_epoch=True,
        begin=0,
        end=200,
        convert_to_iter_based=True)
]
train_cfg = dict(type='ReproducibleEpochBasedTrainLoop', max_epochs=200)
auto_scale_lr = dict(base_batch_size=256)
