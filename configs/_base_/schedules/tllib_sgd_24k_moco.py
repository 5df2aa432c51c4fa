# TLlib's recipe for MoCo-pretrained backbones (method notes, 4.1; with the
# --finetune fix of TLlib issue #156): head lr 0.1, pretrained parts 0.1x,
# 24,000 iterations of batch 48, lr x0.1 at 6k/12k/18k, test every 2,000.
_base_ = ['./tllib_sgd_10k.py']
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=False,
        milestones=[6000, 12000, 18000],
        gamma=0.1)
]
train_cfg = dict(max_iters=24000, val_interval=2000)
