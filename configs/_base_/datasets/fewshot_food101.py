# K-shot transfer on Food101 (data_root data/food-101).
_base_ = ['./fewshot_common.py']
data_root = 'data/food-101'
data_preprocessor = dict(num_classes=101)
train_dataloader = dict(
    dataset=dict(
        dataset=dict(type='Food101', data_root=data_root, split='train')))
val_dataloader = dict(
    dataset=dict(type='Food101', data_root=data_root, split='test'))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
