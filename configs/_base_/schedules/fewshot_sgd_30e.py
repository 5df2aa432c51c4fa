# K-shot transfer (UFT paper): 30 epochs, lr 3.0 for the new classifier and
# 1e-4 for the pretrained layers; SGD momentum 0.9, no weight decay, cosine,
# batch 32 (assumed, method notes of UFT 6.1). Tested once, at the end.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=1e-4, momentum=0.9, weight_decay=0.),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=30000.)}))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=30, by_epoch=True, begin=0, end=30)
]
train_cfg = dict(
    type='ReproducibleEpochBasedTrainLoop', max_epochs=30, val_interval=30)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)
