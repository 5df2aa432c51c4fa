# K-shot transfer on Caltech101 (data_root data/caltech-101).
_base_ = ['./fewshot_common.py']
data_root = 'data/caltech-101'
data_preprocessor = dict(num_classes=102)
train_dataloader = dict(
    dataset=dict(
        dataset=dict(type='Caltech101', data_root=data_root, split='train')))
val_dataloader = dict(
    dataset=dict(type='Caltech101', data_root=data_root, split='test'))
test_dataloader = val_dataloader
