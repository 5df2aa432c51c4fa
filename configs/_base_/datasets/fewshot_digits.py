# K-shot transfer on the embedded digits (see digits_bs32_64.py): K labelled
# images a class from the training half, tested on the test half (top-1).
_base_ = ['./fewshot_common.py']
data_root = 'data/digits'
data_preprocessor = dict(num_classes=10, mean=[127.5] * 3, std=[127.5] * 3)
digits_train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.6, 1.0)),
    dict(type='PackInputs'),
]
digits_test_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    num_workers=0,
    dataset=dict(
        dataset=dict(
            _delete_=True,
            type='CustomDataset',
            data_root=data_root,
            data_prefix='train',
            pipeline=digits_train_pipeline)))
val_dataloader = dict(
    num_workers=0,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root=data_root,
        data_prefix='test',
        pipeline=digits_test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
