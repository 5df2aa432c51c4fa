# Stanford Cars: car_ims/ + cars_annos.mat, or cars_train/, cars_test/, devkit/
_base_ = ['./fgvc_bs48_224.py']
data_root = 'data/stanford_cars'
data_preprocessor = dict(num_classes=196)
train_dataloader = dict(
    dataset=dict(
        dataset=dict(type='StanfordCars', data_root=data_root, split='train')))
val_dataloader = dict(
    dataset=dict(type='StanfordCars', data_root=data_root, split='test'))
test_dataloader = val_dataloader
