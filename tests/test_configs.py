"""Every config builds; configs ship with the package (``mmft::``)."""
import copy
import glob
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmft
from mmft.registry import MODELS, TRANSFORMS
from mmft.utils import innermost_dataset
from tests.helpers import ROOT
from tests.test_tools.test_converters import load_tool

CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def family(path: str) -> tuple:
    """Method folder and backbone of a config: its leaves share a model."""
    rel = osp.relpath(path, osp.join(ROOT, 'configs'))
    return osp.dirname(rel), osp.basename(rel).split('_')[0]


# The fast tier builds one leaf of each family of the small backbones; the
# slow tier the rest (a ViT-B, Swin-T or ConvNeXt-T takes 1-3 s to build).
FIRST = {}
for _path in CONFIGS:
    FIRST.setdefault(family(_path), _path)
BUILDS = [
    pytest.param(
        p,
        marks=() if FIRST[family(p)] == p
        and family(p)[1] in ('r50', 'effnetlite0') else pytest.mark.slow,
        id=osp.relpath(p, ROOT)) for p in CONFIGS
]
#: The hooks that default_runtime.py's default_hooks hold for the methods.
METHOD_HOOKS = {
    'MomentumEncoderHook', 'CategoryRelationshipHook', 'ChannelAttentionHook'
}


def test_every_method_has_configs():
    names = [osp.relpath(p, osp.join(ROOT, 'configs')) for p in CONFIGS]
    for required in (
            'cotuning/r50_cub.py', 'cotuning/r50_cars.py',
            'cotuning/r50_aircraft.py', 'erm/r50_cub.py', 'erm/r50_cars.py',
            'erm/r50_aircraft.py', 'cotuning/effnetlite0_digits.py',
            'erm/effnetlite0_digits.py', 'bituning/r50_cub.py',
            'bituning/r50_cars.py', 'bituning/r50_aircraft.py',
            'bituning/r50_moco_cub.py', 'bituning/r50_moco_cars.py',
            'bituning/r50_moco_aircraft.py', 'cotuning_bituning/r50_cub.py',
            'bituning/effnetlite0_digits.py',
            'cotuning_bituning/effnetlite0_digits.py',
            'cotuning_bss/r50_cub.py', 'bituning_l2sp/r50_cub.py',
            *(f'{method}/{backbone}_{data}.py'
              for method in ('l2sp', 'delta', 'bss', 'lwf')
              for backbone in ('r50', 'vitb16', 'swint', 'convnextt')
              for data in ('cub', 'cars', 'aircraft')),
            *(f'stochnorm/r50_{data}.py'
              for data in ('cub', 'cars', 'aircraft')),
            *(f'{method}/effnetlite0_digits{quick}.py'
              for method in ('erm', 'cotuning', 'bituning', 'l2sp', 'delta',
                             'bss', 'lwf', 'stochnorm')
              for quick in ('', '_quick')),
            *(f'uft/r50{init}_{data}_{variant}.py' for init in ('_mocov2', '')
              for data in ('pets', 'caltech101', 'cifar100', 'food101')
              for variant in ('naive', 'sdr', 'sdr_mix')),
            *(f'uft/fewshot/r50_{data}_kshot.py'
              for data in ('pets', 'caltech101', 'cifar100', 'food101'))):
        assert required in names


#: The model built last, by its config without the class counts.
BUILT = {}


def signature(model: dict) -> str:
    """A model config with every ``num_classes`` left out."""

    def strip(value):
        if isinstance(value, dict):
            return {
                k: strip(v)
                for k, v in sorted(value.items()) if k != 'num_classes'
            }
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value

    return repr(strip(model.to_dict() if hasattr(model, 'to_dict') else model))


def build(model_cfg):
    """The model; a leaf whose model config differs from one built before
    only in its class counts builds only its heads (the backbone, neck and
    algorithm are the same objects' configs)."""
    key = signature(model_cfg)
    if key not in BUILT:
        BUILT.clear()  # leaves of one model are neighbours: keep one model
        BUILT[key] = MODELS.build(model_cfg)
        return BUILT[key]
    model = copy.copy(BUILT[key])
    model._modules = dict(model._modules)
    if 'head' in model_cfg:
        model._modules['head'] = MODELS.build(model_cfg['head'])
        if hasattr(model, 'fill_source_checkpoint'):
            model.fill_source_checkpoint(model.head)
    return model


@pytest.mark.parametrize('path', BUILDS)
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmft'
    init_default_scope('mmft')
    model = build(cfg.model)
    hooks = [h.type for h in cfg.default_hooks.values() if h]
    # the method hooks are default_hooks: listed again they would run twice
    assert not METHOD_HOOKS & {h.type for h in cfg.get('custom_hooks', [])}
    train = cfg.train_dataloader
    datasets = train.dataset.get('datasets', [train.dataset])
    for dataset in datasets:  # every train transform builds
        for transform in innermost_dataset(dataset).pipeline:
            TRANSFORMS.build(transform)
    if cfg.model.type == 'UFTMoCo':
        assert 'MomentumEncoderHook' in hooks
        assert train.collate_fn.type == 'default_collate' and train.drop_last
        if train.dataset.type == 'ConcatDataset':
            assert train.sampler.type == 'SourceReplaySampler'
            source = train.dataset.datasets[1]
            assert source.type == 'ImageNet' or (  # the demo's photo crops
                source.type == 'CustomDataset' and not source.with_label)
        # the paper's batch is 256 (32 a GPU on 8 GPUs); the demo's is 32
        paper = 'digits' not in osp.basename(path)
        assert cfg.auto_scale_lr.base_batch_size == train.batch_size * (
            8 if paper else 1)
        return
    if cfg.model.head.type == 'FeatureHead':  # retrieval and clustering
        test = cfg.test_dataloader.dataset
        assert test.type == 'QueryDatabaseDataset'
        assert test.database.pipeline == test.query.pipeline
        assert {e.type
                for e in cfg.test_evaluator
                } - {'AlignmentUniformity', 'KShotNearestMean'} == {
                    'RetrievalPrecisionAtK', 'KMeansBCubed'
                }
        assert cfg.model.backbone.init_cfg is None  # tools/test.py loads
        return
    classes = cfg.data_preprocessor.num_classes
    assert model.head.num_classes == classes
    pipeline = cfg.train_dataloader.dataset.dataset.pipeline
    if cfg.model.get('key_encoder'):  # Bi-tuning
        assert 'MomentumEncoderHook' in hooks
        assert any(t.type == 'MultiView' for t in pipeline)
        assert type(model.data_preprocessor).__name__ == \
            'MultiViewClsDataPreprocessor'
        assert set(cfg.model.regularizers) >= {'cce', 'projector'}
    else:
        assert not any(t.type == 'MultiView' for t in pipeline)
    if 'CoTuning' in cfg.model.head.type:
        assert model.head.relationship.shape == (classes, 1000)
        assert 'CategoryRelationshipHook' in hooks
        assert model.head.source_checkpoint == \
            cfg.model.backbone.init_cfg.checkpoint
    regularizers = cfg.model.get('regularizers', {})
    if 'delta' in regularizers:
        assert 'ChannelAttentionHook' in hooks
    if set(regularizers) & {'l2sp', 'delta'}:  # TLlib's delta.py
        assert cfg.optim_wrapper.optimizer.weight_decay == 0
        assert regularizers.head_l2.loss_weight == 0.01
    assert train.dataset.type == 'ClassSubsetDataset'
    if train.dataset.get('shots'):
        assert train.dataset.get('ratio', 1) == 1
        assert cfg.model.backbone.init_cfg.prefix == 'backbone'
    else:
        assert 0 < train.dataset.ratio <= 1
    assert cfg.auto_scale_lr.base_batch_size == train.batch_size


@pytest.mark.slow
def test_mmft_scope_configs_resolve_in_a_fresh_process(tmp_path):
    """A downstream project inherits mmft's configs after pip install,
    without importing mmft first."""
    child = tmp_path / 'downstream.py'
    child.write_text("_base_ = ['mmft::cotuning/r50_cub.py']\n"
                     'model = dict(head=dict(num_classes=10))\n')
    code = ('from mmengine.config import Config; '
            f'c = Config.fromfile({str(child)!r}); '
            'print(c.model.head.type, c.model.head.num_classes, '
            'c.train_dataloader.dataset.type)')
    out = subprocess.run([sys.executable, '-c', code],
                         cwd=str(tmp_path),
                         capture_output=True,
                         text=True,
                         check=True).stdout
    assert out.split() == ['CoTuningHead', '10', 'ClassSubsetDataset']


def test_version_guard_names_versions():
    with pytest.raises(
            RuntimeError,
            match=r'1.2.0 <= mmpretrain < 1.3.0.*mmpretrain==1.0.0'):
        mmft._check_versions((('mmpretrain', '1.0.0', '1.2.0', '1.3.0'), ))
    mmft._check_versions()


def test_no_two_configs_share_a_work_dir_or_run_dir():
    """The default work dir and the sweep's run dirs come from the config's
    path below configs/, so methods of one dataset never collide."""
    from mmft.runtime.launch import default_work_dir
    sweep = load_tool('../sweep')
    work_dirs = [default_work_dir(p) for p in CONFIGS]
    run_dirs = [sweep.run_dir('work_dirs/cub', p, 0.15, 0) for p in CONFIGS]
    assert len(set(work_dirs)) == len(set(run_dirs)) == len(CONFIGS)
    same_stem = [
        osp.join(ROOT, 'configs', m, 'r50_cub.py')
        for m in ('erm', 'cotuning', 'bituning')
    ]
    assert [default_work_dir(p) for p in same_stem] == [
        './work_dirs/erm/r50_cub', './work_dirs/cotuning/r50_cub',
        './work_dirs/bituning/r50_cub'
    ]
    assert sweep.run_dir('w', same_stem[1], 0.15, 2) == \
        'w/cotuning/r50_cub/ratio0.15_seed2'
