# K-shot transfer data: K labelled images a class from the train split
# (K and the trial from the command line:
#   --cfg-options train_dataloader.dataset.shots=8 \
#   train_dataloader.dataset.seed=1)
# and the whole test split. A dataset leaf sets the types and the metric.
data_preprocessor = dict(
    num_classes=1000,  # set by the dataset leaf
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
load = [dict(type='CheckedLoadImageFromFile')]
train_augments = [
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
test_transforms = [
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
]
train_pipeline = [*load, *train_augments, dict(type='PackInputs')]
test_pipeline = [*load, *test_transforms, dict(type='PackInputs')]
# CIFAR arrays are RGB: reversed to the BGR order of loaded files (as in UFT)
cifar_train_pipeline = [
    dict(type='ReverseChannels'), *train_augments,
    dict(type='PackInputs')
]
cifar_test_pipeline = [
    dict(type='ReverseChannels'), *test_transforms,
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    drop_last=False,
    dataset=dict(
        type='ClassSubsetDataset',
        shots=4,
        seed=0,
        dataset=dict(split='train', pipeline=train_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# Mean-class accuracy (the paper's metric on Pet and Caltech-101): the mean
# of per-class recalls. CIFAR-100 and Food-101 leaves use top-1.
val_evaluator = dict(
    type='SingleLabelMetric', items=('recall', ), average='macro')
test_dataloader = val_dataloader
test_evaluator = val_evaluator
