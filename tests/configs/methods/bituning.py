# Bi-tuning's delta at the tiny configs' sizes: K = 4, 16-d projection, key
# momentum 0.9.
_base_ = ['../../../configs/_base_/methods/bituning.py']
bituning = dict(
    model=dict(
        key_encoder=dict(momentum=0.9),
        regularizers=dict(
            cce=dict(queue_size=4),
            projector=dict(out_channels=16, loss=dict(queue_size=4)))))
