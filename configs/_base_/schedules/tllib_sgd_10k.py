# TLlib's task-adaptation recipe (method notes, section 4.1): SGD with
# Nesterov, head lr 0.01, pretrained parts 0.1x, 10,000 iterations of batch 48,
# lr x0.1 at 6,000, test accuracy every 500 iterations (best reported).
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'head.source_fc': dict(lr_mult=0.1),
            'projector': dict(lr_mult=0.1),  # Bi-tuning's projector (TLlib)
        }))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[6000], gamma=0.1)
]
train_cfg = dict(
    type='ReproducibleIterBasedTrainLoop', max_iters=10000, val_interval=500)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=48)
