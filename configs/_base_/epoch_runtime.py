# Epoch-based runtime (unsupervised finetuning, few-shot transfer): epoch
# checkpoints, the last one kept for the evaluation protocols; no best-of.
_base_ = ['./default_runtime.py']
default_hooks = dict(
    checkpoint=dict(
        by_epoch=True, interval=10, max_keep_ckpts=2, save_best=None))
log_processor = dict(by_epoch=True)
