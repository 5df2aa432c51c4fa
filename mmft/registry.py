"""mmft registries: one child of every mmpretrain registry node.

A build with ``default_scope='mmft'`` first switches to the node of that scope
(``mmft.registry``), so every node mmpretrain has must exist here as well.
Lookups that miss in an mmft node climb to the mmpretrain parent and then to
mmengine's root, so every mmpretrain and mmengine component stays reachable.
"""
from typing import Any, Dict

from mmengine.registry import Registry
from mmpretrain import registry as pre

#: Model types that were renamed or folded into others, and where they went.
MOVED_MODELS: Dict[str, str] = {
    'BiTuning':
    "type='FineTuningClassifier' with key_encoder=dict(momentum=0.999) and "
    "regularizers cce=dict(type='ContrastiveCELoss') and projector=dict("
    "type='ProjectorHead') (configs/_base_/methods/bituning.py)",
    'ContrastiveCEHead':
    "a LinearClsHead (or CoTuningHead) head beside model.regularizers.cce="
    "dict(type='ContrastiveCELoss') of a type='FineTuningClassifier' model "
    '(configs/_base_/methods/bituning.py)',
}


class MovedTypeError(KeyError):
    """A config names a type that has moved (a ``KeyError``, as mmengine's
    unknown types, whose message prints as it is)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


class MovedAwareRegistry(Registry):
    """A registry that says where a moved type went instead of "not in the
    registry"."""

    def __init__(self, *args, moved: Dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.moved = moved

    def get(self, key: str) -> Any:
        found = super().get(key)
        name = key.split('.')[-1] if isinstance(key, str) else None
        if found is None and name in self.moved:
            raise MovedTypeError(
                f'{self.name} type {name!r} has moved: use {self.moved[name]}')
        return found


# Training runner and its pieces.
RUNNERS = Registry(
    'runner', parent=pre.RUNNERS, scope='mmft', locations=['mmft.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor',
    parent=pre.RUNNER_CONSTRUCTORS,
    scope='mmft',
    locations=['mmft.engine'])
# Run infrastructure (mmft.runtime: loops, safety hooks, the CPU autocast
# wrapper) beside the hooks of the fine-tuning methods (mmft.engine).
LOOPS = Registry(
    'loop', parent=pre.LOOPS, scope='mmft', locations=['mmft.runtime.loops'])
HOOKS = Registry(
    'hook',
    parent=pre.HOOKS,
    scope='mmft',
    locations=['mmft.engine.hooks', 'mmft.runtime.hooks'])
LOG_PROCESSORS = Registry(
    'log processor',
    parent=pre.LOG_PROCESSORS,
    scope='mmft',
    locations=['mmft.engine'])
OPTIMIZERS = Registry(
    'optimizer',
    parent=pre.OPTIMIZERS,
    scope='mmft',
    locations=['mmft.engine'])
OPTIM_WRAPPERS = Registry(
    'optimizer_wrapper',
    parent=pre.OPTIM_WRAPPERS,
    scope='mmft',
    locations=['mmft.runtime.optim'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=pre.OPTIM_WRAPPER_CONSTRUCTORS,
    scope='mmft',
    locations=['mmft.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=pre.PARAM_SCHEDULERS,
    scope='mmft',
    locations=['mmft.engine'])

# Data.
DATASETS = Registry(
    'dataset', parent=pre.DATASETS, scope='mmft', locations=['mmft.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=pre.DATA_SAMPLERS,
    scope='mmft',
    locations=['mmft.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=pre.TRANSFORMS,
    scope='mmft',
    locations=['mmft.datasets'])

# Models.
MODELS = MovedAwareRegistry(
    'model',
    parent=pre.MODELS,
    scope='mmft',
    locations=['mmft.models'],
    moved=MOVED_MODELS)
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=pre.MODEL_WRAPPERS,
    scope='mmft',
    locations=['mmft.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=pre.WEIGHT_INITIALIZERS,
    scope='mmft',
    locations=['mmft.models'])
BATCH_AUGMENTS = Registry(
    'batch augment',
    parent=pre.BATCH_AUGMENTS,
    scope='mmft',
    locations=['mmft.models'])
TASK_UTILS = Registry(
    'task util',
    parent=pre.TASK_UTILS,
    scope='mmft',
    locations=['mmft.models'])
TOKENIZER = Registry(
    'tokenizer', parent=pre.TOKENIZER, scope='mmft', locations=['mmft.models'])

# Evaluation and visualisation.
METRICS = Registry(
    'metric', parent=pre.METRICS, scope='mmft', locations=['mmft.evaluation'])
EVALUATORS = Registry(
    'evaluator',
    parent=pre.EVALUATORS,
    scope='mmft',
    locations=['mmft.evaluation'])
VISUALIZERS = Registry(
    'visualizer',
    parent=pre.VISUALIZERS,
    scope='mmft',
    locations=['mmft.visualization'])
VISBACKENDS = Registry(
    'vis_backend',
    parent=pre.VISBACKENDS,
    scope='mmft',
    locations=['mmft.visualization'])
