"""Export to a plain mmpretrain classifier: what is kept and dropped, the
logits, the types of the written config, and a checkpoint that loads with
torch's default (weights-only) loader."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmpretrain import get_model as mmpretrain_get_model
from mmpretrain import registry as pre

from mmft.apis import get_model
from mmft.apis.export import plain_model_config
from mmft.apis.export_classifier import export_classifier
from tests.helpers import ROOT
from tests.test_apis.checkpoints import (DIGITS, TINY_CLASSES, config_path,
                                         runner_like_checkpoint, sample_images)

slow = pytest.mark.slow
# Prefixes of the dropped groups each method must have (its state's owners)
COTUNING = {'head.relationship', 'head.source_fc.'}
BITUNING = {'key_encoder.'}
CASES = [
    ('tests/configs/tiny_cotuning.py', None, COTUNING),
    ('tests/configs/tiny_bituning.py', None, BITUNING),
    ('tests/configs/tiny_cotuning_bituning.py', None, COTUNING | BITUNING),
    ('tests/configs/tiny_cotuning.py', 'vit', COTUNING),
    ('tests/configs/tiny_cotuning.py', 'swin', COTUNING),
    ('tests/configs/tiny_bituning.py', 'convnext', BITUNING),
]


def with_backbone(config: str, arch: str, folder: str) -> str:
    """The tiny config with a tiny ViT, Swin or ConvNeXt
    (``tests/configs/tiny_<arch>.py``), written to ``folder``."""
    cfg = Config.fromfile(config_path(config))
    parts = Config.fromfile(
        osp.join(ROOT, 'tests', 'configs', f'tiny_{arch}.py'))
    cfg.model.backbone = parts.backbone
    cfg.model.neck = parts.neck
    cfg.model.head.in_channels = parts.feat_dim
    if 'projector' in cfg.model:
        cfg.model.projector.in_channels = parts.feat_dim
    path = osp.join(folder, f'{osp.basename(config)[:-3]}_{arch}.py')
    cfg.dump(path)
    return path


def types_of(tree) -> list:
    if isinstance(tree, (list, tuple)):
        return [t for item in tree for t in types_of(item)]
    if not isinstance(tree, dict):
        return []
    found = [t for value in tree.values() for t in types_of(value)]
    return found + ([tree['type']]
                    if isinstance(tree.get('type'), str) else [])


def exported_types_resolve_in_mmpretrain(path: str) -> list:
    """The exported config's types that are not mmpretrain's or mmengine's
    (``mmft.X``), after checking that every other one is."""
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmpretrain'
    assert 'custom_imports' not in cfg
    mmft_types = []
    for name in types_of(cfg.model) + types_of(cfg.test_dataloader):
        if name.startswith('mmft.'):
            mmft_types.append(name)
            continue
        registries = (pre.MODELS, pre.TRANSFORMS, pre.DATASETS,
                      pre.DATA_SAMPLERS, pre.FUNCTIONS if hasattr(
                          pre, 'FUNCTIONS') else pre.MODELS)
        found = [r.get(name) for r in registries if r.get(name) is not None]
        assert found and not found[0].__module__.startswith('mmft'), name
    return mmft_types


@pytest.mark.parametrize('config,arch,dropped', CASES)
def test_export_keeps_the_classifier_and_gives_its_logits(
        config, arch, dropped, tmp_path):
    if arch:
        config = with_backbone(config, arch, str(tmp_path))
    images = sample_images(str(tmp_path), size=32)
    checkpoint = runner_like_checkpoint(
        config, str(tmp_path / 'ckpt.pth'), TINY_CLASSES, images=images)
    result = export_classifier(
        config_path(config), checkpoint, str(tmp_path / 'out'))
    assert result['max_abs_diff'] <= 1e-5
    assert exported_types_resolve_in_mmpretrain(result['config']) == []
    assert result['needs_mmft'] == []
    assert all(
        any(group.startswith(prefix) for group in result['dropped'])
        for prefix in dropped), result['dropped']
    assert not any(
        group.startswith(('backbone.', 'neck.', 'head.fc.'))
        for group in result['dropped'])

    # torch's default loader (weights only, no allowlist) reads it
    saved = torch.load(result['checkpoint'], weights_only=True)
    assert saved['meta']['dataset_meta']['classes'] == TINY_CLASSES
    assert saved['meta']['exported_from']['iter'] == 4
    fine_tuned = get_model(config_path(config), checkpoint)
    original = fine_tuned.state_dict()
    assert len(saved['state_dict']) + sum(
        result['dropped'].values()) == len(original)
    for key, value in saved['state_dict'].items():
        torch.testing.assert_close(value, original[key], rtol=0, atol=0)

    # mmpretrain's own get_model and loader, and every weight used
    plain = mmpretrain_get_model(
        result['config'], pretrained=result['checkpoint'])
    assert type(plain).__name__ == 'ImageClassifier'
    assert type(plain.head).__name__ == 'LinearClsHead'
    assert set(plain.state_dict()) == set(saved['state_dict'])
    assert plain._dataset_meta['classes'] == TINY_CLASSES
    batch = torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8)
    with torch.no_grad():
        logits = [
            model(
                model.data_preprocessor(dict(inputs=batch.clone()),
                                        False)['inputs'],
                mode='tensor') for model in (fine_tuned, plain)
        ]
    torch.testing.assert_close(logits[1], logits[0], rtol=0, atol=1e-5)
    assert logits[0].argmax(1).unique().numel() > 1 or arch


@slow
def test_the_demo_model_needs_mmft_for_its_backbone_only(tmp_path):
    config = 'configs/cotuning_bituning/effnetlite0_digits_quick.py'
    checkpoint = runner_like_checkpoint(config, str(tmp_path / 'ckpt.pth'),
                                        DIGITS)
    result = export_classifier(
        config_path(config), checkpoint, str(tmp_path / 'out'), size=(64, 64))
    assert result['needs_mmft'] == ['model.backbone: EfficientNetLite']
    assert exported_types_resolve_in_mmpretrain(
        result['config']) == ['mmft.EfficientNetLite']
    assert result['max_abs_diff'] <= 1e-5
    assert {'head.relationship', 'head.source_fc.*', 'key_encoder.backbone.*'
            } <= set(result['dropped'])
    text = open(result['config']).read()
    assert 'needs mmft installed (not imported) for model.backbone: ' \
        'EfficientNetLite' in text


def test_a_model_without_a_classifier_is_not_exported():
    config = config_path('tests/configs/tiny_uft.py')
    with pytest.raises(ValueError) as error:
        plain_model_config(Config.fromfile(config), config)
    assert 'only a classifier' in str(error.value)


def test_an_unknown_preprocessor_argument_is_named():
    cfg = Config.fromfile(config_path('tests/configs/tiny_cotuning.py'))
    cfg.model.data_preprocessor['colour_space'] = 'lab'
    with pytest.raises(
            ValueError, match=r"data_preprocessor has "
            r"\['colour_space'\]"):
        plain_model_config(cfg, 'tiny_cotuning.py')


NO_MMFT = """
import json, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == 'mmft' or name.startswith('mmft.'):
            raise ImportError(name + ' is blocked')
sys.meta_path.insert(0, Block())
from mmpretrain import ImageClassificationInferencer
scores = {}
for config, checkpoint, images in json.loads(sys.argv[1]):
    inferencer = ImageClassificationInferencer(config, pretrained=checkpoint)
    scores[config] = [[r['pred_class'], r['pred_scores'].tolist()]
                      for r in inferencer(images)]
assert not any(m.split('.')[0] == 'mmft' for m in sys.modules)
print()
print('RESULT', json.dumps(scores))
"""


@slow
def test_mmpretrain_without_mmft_predicts_as_the_fine_tuned_model(tmp_path):
    """ResNet, ViT, Swin and ConvNeXt: the exported files in a process where
    mmft cannot be imported."""
    import json

    from mmft.apis import ImageClassificationInferencer
    jobs, expected = [], {}
    for arch in (None, 'vit', 'swin', 'convnext'):
        folder = tmp_path / (arch or 'resnet')
        folder.mkdir()
        config = 'tests/configs/tiny_cotuning_bituning.py'
        if arch:
            config = with_backbone(config, arch, str(folder))
        images = sample_images(str(folder), size=32)
        checkpoint = runner_like_checkpoint(
            config, str(folder / 'ckpt.pth'), TINY_CLASSES, images=images)
        result = export_classifier(
            config_path(config), checkpoint, str(folder / 'out'))
        jobs.append([result['config'], result['checkpoint'], images])
        expected[result['config']] = ImageClassificationInferencer(
            config_path(config), pretrained=checkpoint)(
                images)
    env = dict(osp.os.environ, MMFT_NO_PATCHES='1')
    out = subprocess.run([sys.executable, '-c', NO_MMFT,
                          json.dumps(jobs)],
                         capture_output=True,
                         text=True,
                         env=env,
                         cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr[-3000:]
    line = [x for x in out.stdout.splitlines() if x.startswith('RESULT ')]
    scores = json.loads(line[-1][len('RESULT '):])
    for config, results in expected.items():
        assert [r[0]
                for r in scores[config]] == [r['pred_class'] for r in results]
        assert [r['pred_class'] for r in results] == TINY_CLASSES
        for (_, theirs), ours in zip(scores[config], results):
            torch.testing.assert_close(
                torch.tensor(theirs), torch.from_numpy(ours['pred_scores']))
