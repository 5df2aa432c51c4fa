# The five baselines' regularizers on one tiny model, for the end-to-end
# tests of their state (resume, kill and resume, two ranks): L2-SP with the
# head's L2, DELTA, BSS, LwF and StochNorm, as their deltas set them.
_base_ = ['./tiny_erm.py']
model = dict(
    type='FineTuningClassifier',
    starting_point=True,
    regularizers=dict(
        l2sp=dict(type='L2SPRegularizer', loss_weight=0.01),
        head_l2=dict(
            type='L2Regularizer', modules=['head.fc'], loss_weight=0.01),
        delta=dict(type='DELTARegularizer', loss_weight=0.01),
        bss=dict(type='BSSRegularizer', k=1, loss_weight=0.001),
        lwf=dict(
            type='LWFRegularizer',
            num_source_classes=5,
            temperature=3.0,
            loss_weight=4.0),
        stochnorm=dict(type='StochNormRegularizer', p=0.5)))
optim_wrapper = dict(optimizer=dict(weight_decay=0.))
