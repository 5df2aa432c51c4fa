# Unsupervised finetuning target: Oxford-IIIT Pet (trainval split only).
_base_ = ['./uft_imagenet_sdr.py']
target = dict(
    type='OxfordIIITPet',
    data_root='data/Oxford-IIITPet',
    split='trainval',
    pipeline={{_base_.train_pipeline}})
train_dataloader = dict(dataset=target)
