# Unsupervised finetuning target: Caltech-101 (train split only).
_base_ = ['./uft_imagenet_sdr.py']
target = dict(
    type='Caltech101',
    data_root='data/caltech-101',
    split='train',
    pipeline={{_base_.train_pipeline}})
train_dataloader = dict(dataset=target)
