# Unsupervised finetuning target: CIFAR-100 (train split only; 32 px images,
# cropped to 224).
_base_ = ['./uft_imagenet_sdr.py']
target = dict(
    type='CIFAR100',
    data_root='data/cifar100',
    split='train',
    # CIFAR arrays are RGB, files load as BGR: one order for the preprocessor
    pipeline=[
        dict(type='ReverseChannels'), {{_base_.two_views}},
        dict(type='PackInputs')
    ])
train_dataloader = dict(dataset=target)
