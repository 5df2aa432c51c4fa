# Co-tuning + Bi-tuning on the embedded digits, 150 iterations:
# configs/_base_/methods/bituning_k16.py on
# configs/cotuning/effnetlite0_digits_quick.py.
_base_ = [
    '../cotuning/effnetlite0_digits_quick.py',
    '../_base_/methods/bituning_k16.py'
]
model = _base_.bituning.model
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=_base_.train_pipeline_2views)))
