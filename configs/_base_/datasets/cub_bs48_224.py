# CUB-200-2011: images/, images.txt, image_class_labels.txt,
# train_test_split.txt
_base_ = ['./fgvc_bs48_224.py']
data_root = 'data/CUB_200_2011'
data_preprocessor = dict(num_classes=200)
train_dataloader = dict(
    dataset=dict(dataset=dict(type='CUB', data_root=data_root, split='train')))
val_dataloader = dict(
    dataset=dict(type='CUB', data_root=data_root, split='test'))
test_dataloader = val_dataloader
