# K-shot transfer (UFT paper, 6.1): the finetuned backbone (prefix
# `backbone.` of the UFT checkpoint, neck dropped) + GAP + a new linear
# classifier, zero-initialised (BiT style, keeps lr 3.0 stable); the whole
# network is trained. Point it at a checkpoint with
#   --cfg-options \
#   model.backbone.init_cfg.checkpoint=work_dirs/.../epoch_200.pth
checkpoint = 'work_dirs/uft/epoch_200.pth'
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        depth=50,
        out_indices=(3, ),
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,  # set by the dataset's leaf config
        in_channels=2048,
        init_cfg=dict(type='Constant', layer='Linear', val=0),
        topk=(1, )),
)
