# K-shot transfer on CIFAR100 (data_root data/cifar100).
_base_ = ['./fewshot_common.py']
data_root = 'data/cifar100'
data_preprocessor = dict(num_classes=100)
train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            type='CIFAR100',
            data_root=data_root,
            split='train',
            pipeline={{_base_.cifar_train_pipeline}})))
val_dataloader = dict(
    dataset=dict(
        type='CIFAR100',
        data_root=data_root,
        split='test',
        pipeline={{_base_.cifar_test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
