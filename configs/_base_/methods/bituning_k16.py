# Bi-tuning with K = 16 keys per class instead of 40: the embedded digits
# demo, which has about 9 labelled images a class.
_base_ = ['./bituning.py']
bituning = dict(
    model=dict(
        regularizers=dict(
            cce=dict(queue_size=16), projector=dict(loss=dict(
                queue_size=16)))))
