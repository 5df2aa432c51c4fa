# Fine-tuning recipe of the transformer-era backbones (ViT-B/16, Swin-T,
# ConvNeXt-T): AdamW, lr 1e-4 at batch 48, weight decay 0.05 (none on norms,
# biases, layer scales, tokens and position tables), layer-wise lr decay
# 0.75 through mmpretrain's LearningRateDecayOptimWrapperConstructor: a
# parameter at depth d of D gets lr x 0.75 ** (D - 1 - d), where the
# backbone's get_layer_depth counts the stem as 0 and then each ViT block
# (D = 14 for ViT-B), each Swin block (14 for Swin-T) or a ConvNeXt group
# (8 for ConvNeXt-T); everything outside the backbone (the new head,
# Co-tuning's source head, Bi-tuning's projector, UFT's neck) is at the
# top, lr x 1. That constructor ignores lr_mult, so the ResNet recipes'
# 0.1x for the pretrained parts is replaced by the decay. 10,000
# iterations of batch 48 as TLlib's recipe: linear warm-up over the first
# 500, cosine to 1 % of each layer's lr; test accuracy every 500
# iterations (best reported).
optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=1e-4, weight_decay=0.05, eps=1e-8,
        betas=(0.9, 0.999)),
    constructor='LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.75,
        norm_decay_mult=0.,
        flat_decay_mult=0.,
        custom_keys={
            '.cls_token': dict(decay_mult=0.),
            '.pos_embed': dict(decay_mult=0.),
            '.relative_position_bias_table': dict(decay_mult=0.),
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=500),
    dict(
        type='CosineAnnealingLR',
        eta_min_ratio=0.01,
        by_epoch=False,
        begin=500,
        end=10000),
]
train_cfg = dict(
    type='ReproducibleIterBasedTrainLoop', max_iters=10000, val_interval=500)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=48)
