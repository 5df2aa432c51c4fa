# FGVC-Aircraft 2013b: data/images/, data/images_variant_*.txt, variants.txt
_base_ = ['./fgvc_bs48_224.py']
data_root = 'data/fgvc-aircraft-2013b'
data_preprocessor = dict(num_classes=100)
train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            type='FGVCAircraft', data_root=data_root, split='trainval')))
val_dataloader = dict(
    dataset=dict(type='FGVCAircraft', data_root=data_root, split='test'))
test_dataloader = val_dataloader
