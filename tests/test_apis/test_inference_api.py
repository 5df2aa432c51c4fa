"""mmpretrain's inference API on mmft configs and checkpoints.

For the demo's four models (EfficientNet-Lite0 on the digits: plain
fine-tuning, Co-tuning, Bi-tuning, both) and the tiny ones, every entry
point gives the class probabilities computed here by hand (the config's
model, the checkpoint's weights, OpenCV's image, the data preprocessor,
softmax), with the checkpoint's class names."""
import cv2
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain import ImageClassificationInferencer as TheirInferencer
from mmpretrain import inference_model as their_inference_model

import mmft.apis as apis
from mmft.registry import MODELS
from mmft.runtime import (CheckpointLoadError, UnsafeCheckpointError,
                          safe_checkpoint_loading)
from tests.helpers import load, payload_checkpoint
from tests.test_apis.checkpoints import (DIGITS, TINY_CLASSES, config_path,
                                         runner_like_checkpoint, sample_images)

slow = pytest.mark.slow
CASES = [
    ('tests/configs/tiny_cotuning.py', TINY_CLASSES),
    ('tests/configs/tiny_bituning.py', TINY_CLASSES),
    pytest.param(
        'configs/erm/effnetlite0_digits_quick.py', DIGITS, marks=slow),
    pytest.param(
        'configs/cotuning/effnetlite0_digits_quick.py', DIGITS, marks=slow),
    pytest.param(
        'configs/bituning/effnetlite0_digits_quick.py', DIGITS, marks=slow),
    pytest.param(
        'configs/cotuning_bituning/effnetlite0_digits_quick.py',
        DIGITS,
        marks=slow),
]


@torch.no_grad()
def by_hand(config: str, checkpoint: str, images: list) -> torch.Tensor:
    """Class probabilities: model, weights, image, preprocessing, softmax."""
    init_default_scope('mmft')
    cfg = Config.fromfile(config_path(config))
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(cfg.model).eval()
    model.load_state_dict(load(checkpoint)['state_dict'])
    batch = torch.stack([
        torch.from_numpy(cv2.imread(p)).permute(2, 0, 1).contiguous()
        for p in images
    ])
    inputs = model.data_preprocessor(dict(inputs=batch), False)['inputs']
    return model(inputs, mode='tensor').softmax(dim=1)


def check(results: list, expected: torch.Tensor, classes: list) -> None:
    for result, scores in zip(results, expected):
        torch.testing.assert_close(
            torch.as_tensor(result['pred_scores']), scores)
        assert result['pred_label'] == int(scores.argmax())
        assert result['pred_class'] == classes[int(scores.argmax())]


@pytest.mark.parametrize('config,classes', CASES)
def test_every_entry_point_predicts_the_checkpoints_classes(
        config, classes, tmp_path):
    images = sample_images(str(tmp_path))
    checkpoint = runner_like_checkpoint(
        config, str(tmp_path / 'ckpt.pth'), classes, images=images)
    expected = by_hand(config, checkpoint, images)
    assert expected.argmax(1).tolist() == [0, 1, 2]
    path = config_path(config)

    mine = apis.ImageClassificationInferencer(path, pretrained=checkpoint)
    assert mine.classes == tuple(classes)
    check(mine(images, batch_size=2), expected, classes)
    check([apis.inference_model(path, images[1], pretrained=checkpoint)],
          expected[1:], classes)
    model = apis.get_model(path, checkpoint)
    check([their_inference_model(model, images[2])], expected[2:], classes)
    with safe_checkpoint_loading():  # mmpretrain's loader, made safe
        theirs = TheirInferencer(path, pretrained=checkpoint)
    check(theirs(images), expected, classes)


def test_a_checkpoint_of_another_class_set_is_refused(tmp_path):
    checkpoint = runner_like_checkpoint('tests/configs/tiny_cotuning.py',
                                        str(tmp_path / 'ckpt.pth'),
                                        TINY_CLASSES)
    config = config_path('tests/configs/tiny_cotuning.py')
    with pytest.raises(ValueError) as error:
        apis.get_model(config, checkpoint, head=dict(num_classes=5))
    assert str(error.value) == (
        f'{checkpoint} was trained on 3 classes (class0, class1, class2), '
        f'but {config} has model.head.num_classes=5: it is a checkpoint of '
        'another class set. Use the config it was trained with (a copy is '
        'in its work dir).')


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    checkpoint = runner_like_checkpoint('tests/configs/tiny_cotuning.py',
                                        str(tmp_path / 'ckpt.pth'),
                                        TINY_CLASSES)
    config = config_path('tests/configs/tiny_bituning.py')
    with pytest.raises(ValueError, match='weight.s. missing') as error:
        apis.get_model(config, checkpoint)
    assert f'{checkpoint} does not fit the ' in str(error.value)
    missing, unexpected = str(error.value).split('unexpected [')
    assert 'key_encoder.' in missing
    assert unexpected.startswith('head.relationship (1), head.source_fc.* '
                                 '(2)]')


def test_a_checkpoint_that_runs_code_is_not_loaded(tmp_path):
    marker = tmp_path / 'ran'
    checkpoint = payload_checkpoint(str(tmp_path / 'bad.pth'), str(marker))
    with pytest.raises(UnsafeCheckpointError, match='bad.pth'):
        apis.ImageClassificationInferencer(
            config_path('tests/configs/tiny_cotuning.py'),
            pretrained=checkpoint)
    assert not marker.exists()
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    with pytest.raises(CheckpointLoadError, match='is empty'):
        apis.get_model(
            config_path('tests/configs/tiny_cotuning.py'), str(empty))


def test_a_model_without_a_classifier_is_named():
    with pytest.raises(ValueError) as error:
        apis.ImageClassificationInferencer(
            config_path('tests/configs/tiny_uft.py'))
    assert 'which is not a classifier: model.head has no num_classes' in str(
        error.value)


def test_class_names_are_checked_against_the_configs_and_the_head():
    from mmft.apis.checks import check_classes
    state = {'head.fc.weight': torch.zeros(3, 4)}
    checkpoint = dict(
        meta=dict(dataset_meta=dict(classes=('a', 'b', 'c'))),
        state_dict=state)
    check_classes(checkpoint, state, 3, ['a', 'b', 'c'], 'c.py', 'k.pth')
    check_classes(checkpoint, state, 3, None, 'c.py', 'k.pth')
    with pytest.raises(ValueError) as error:
        check_classes(checkpoint, state, 3, ['a', 'x', 'c'], 'c.py', 'k.pth')
    assert str(error.value) == (
        "k.pth was trained on other classes than c.py names: label 1 is 'b' "
        "in the checkpoint but 'x' in the config (a, b, c against a, x, c).")
    with pytest.raises(
            ValueError, match='3 classes in the checkpoint, 200 '
            'in the config'):
        check_classes(checkpoint, state, 3, [str(i) for i in range(200)],
                      'c.py', 'k.pth')
    checkpoint['meta']['dataset_meta']['classes'] = ('a', 'b')
    with pytest.raises(
            ValueError,
            match='k.pth is inconsistent: meta.'
            'dataset_meta.classes has 2 names but head.fc.weight '
            'has 3 rows'):
        check_classes(checkpoint, state, 3, None, 'c.py', 'k.pth')
