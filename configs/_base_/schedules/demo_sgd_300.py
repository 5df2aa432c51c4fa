# A few CPU minutes: 300 iterations of batch 32, new head lr 0.05 and
# pretrained parts 0.1x, cosine decay, validation every 100 iterations.
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'head.source_fc': dict(lr_mult=0.1),
            'projector': dict(lr_mult=0.1),  # Bi-tuning's projector (TLlib)
        }))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, T_max=300)]
train_cfg = dict(
    type='ReproducibleIterBasedTrainLoop', max_iters=300, val_interval=100)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)
