# Runtime shared by every mmft config. Training is iteration-based (as in
# TLlib): checkpoints and logs count iterations; the best validation top-1
# is kept, as TLlib reports the best of its periodic test accuracies.
default_scope = 'mmft'
# 'mmft.runtime' turns on mmft's run infrastructure (mmft/runtime/README.md):
# it registers the safety hooks of default_hooks below, the reproducible
# loops of the schedules' train_cfg and the CPU autocast optimizer wrapper.
custom_imports = dict(
    imports=[
        'mmft.models', 'mmft.engine', 'mmft.datasets', 'mmft.evaluation',
        'mmft.runtime'
    ],
    allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # mmengine's CheckpointHook writing whole files, never through links
    checkpoint=dict(
        type='SafeCheckpointHook',
        by_epoch=False,
        interval=500,
        max_keep_ckpts=2,
        save_best='auto',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # stop on a NaN/inf loss term, naming the iteration and the term
    finite_loss=dict(type='FiniteLossHook'),
    # stop before saving (or ending with) a NaN/inf parameter or buffer
    finite_state=dict(type='FiniteStateHook'),
    # load checkpoints with weights_only=True (see trusted_checkpoints)
    safe_loading=dict(type='SafeLoadingHook'),
    # head, labels and every split's classes agree before iteration 1
    class_consistency=dict(type='ClassConsistencyHook'),
    # --resume: say what the checkpoint's config changes (lr, model, subset)
    resume_check=dict(type='ResumeCheckHook'),
    # What fine-tuning methods need around training; each does nothing for
    # a model without what it serves. The momentum key encoder (Bi-tuning,
    # UFT): a copy at iteration 0, an EMA step after each iteration.
    momentum_encoder=dict(type='MomentumEncoderHook'),
    # Co-tuning's relationship, learned before iteration 1 (TLlib's
    # 'direct' estimate; approach='reverse' is the official code's).
    relationship=dict(type='CategoryRelationshipHook', approach='direct'),
    # DELTA's channel attention, estimated before iteration 1.
    channel_attention=dict(type='ChannelAttentionHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
# Checkpoint files to unpickle in full (they can run code). Every other file
# is loaded with weights_only=True; `--trust-checkpoint FILE` appends here.
trusted_checkpoints = []
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
log_processor = dict(by_epoch=False)
