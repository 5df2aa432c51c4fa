# The same from supervised ImageNet ResNet-50 weights (torchvision, converted
# with tools/model_converters/torchvision_resnet_to_mmpretrain.py); the MoCo
# neck starts from random weights.
_base_ = ['./r50_mocov2_food101_sdr_mix.py']
model = dict(init_cfg=dict(checkpoint='checkpoints/resnet50_tv_in1k.pth'))
