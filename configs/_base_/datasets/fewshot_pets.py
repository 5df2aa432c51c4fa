# K-shot transfer on OxfordIIITPet (data_root data/Oxford-IIITPet).
_base_ = ['./fewshot_common.py']
data_root = 'data/Oxford-IIITPet'
data_preprocessor = dict(num_classes=37)
train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            type='OxfordIIITPet', data_root=data_root, split='trainval')))
val_dataloader = dict(
    dataset=dict(type='OxfordIIITPet', data_root=data_root, split='test'))
test_dataloader = val_dataloader
