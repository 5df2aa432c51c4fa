# Plain fine-tuning (ERM) baseline of configs/cotuning/r50_aircraft.py.
_base_ = [
    '../_base_/models/resnet50_erm.py',
    '../_base_/datasets/aircraft_bs48_224.py',
    '../_base_/schedules/tllib_sgd_10k.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=100))
