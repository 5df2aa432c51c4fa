"""The safety hooks of mmft's runtime, with a real Runner on generated data:
finite state, class consistency, safe loading and safe checkpoint writes."""
import os
import os.path as osp
import re
import shutil

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model

from mmft.registry import HOOKS
from mmft.runtime import UnsafeCheckpointError
from mmft.runtime.hooks.finite_state_hook import first_non_finite
from tests.helpers import load, make_image_folder, payload_checkpoint, tiny_cfg


@HOOKS.register_module(force=True)
class PoisonHook(Hook):
    """Puts a NaN into the head's bias after every iteration."""

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        with torch.no_grad():
            get_ori_model(runner.model).head.fc.bias[0] = float('nan')


@HOOKS.register_module(force=True)
class BlowUpHook(Hook):
    """Scales the head's bias by 1e6 after iteration 3 and makes it NaN
    after iteration 4: a run that diverges after its second save."""

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        bias = get_ori_model(runner.model).head.fc.bias
        with torch.no_grad():
            if runner.iter + 1 == 3:
                bias.fill_(1e6)
            elif runner.iter + 1 == 4:
                bias[0] = float('nan')


def checkpoints(work_dir) -> list:
    return sorted(
        n for n in os.listdir(work_dir)
        if n.endswith('.pth') and n.startswith('iter_'))


# ------------------------------------------------------------ finite state
def test_first_non_finite_names_the_first_bad_tensor():
    state = dict(
        a=torch.ones(3),
        n=torch.tensor(3),
        b=torch.tensor([1., float('inf'), float('nan')]),
        c=torch.full((2, ), float('nan')))
    assert first_non_finite(state) == ('b', 2, 2)
    assert first_non_finite(dict(a=torch.ones(2), n=torch.tensor(1))) is None


@pytest.mark.slow
def test_diverging_cotuning_stops_before_saving_infinite_state(
        assets, tmp_path):
    """lr 1e5: the loss at iteration 3 is finite (about 1e16) but the
    BatchNorm statistics are not; the loss check alone would save them."""
    cfg = tiny_cfg(assets, tmp_path, max_iters=4)
    cfg.optim_wrapper.optimizer.lr = 1e5
    cfg.default_hooks.checkpoint.interval = 1
    with pytest.raises(FloatingPointError) as err:
        Runner.from_cfg(cfg).train()
    message = str(err.value)
    assert 'after iteration 3' in message
    assert "'backbone.layer1.0.bn1.running_var'" in message
    assert f'Newest all-finite checkpoint: {tmp_path}/iter_2.pth' in message
    # iter_2.pth holds values near 1e18: resuming it cannot help
    assert 'from the weights this run started from' in message
    assert "--resume would not help: it restores the checkpoint's " \
        'optimizer state, its lr included' in message
    assert checkpoints(tmp_path) == ['iter_1.pth', 'iter_2.pth']
    for name in checkpoints(tmp_path):
        assert first_non_finite(load(osp.join(tmp_path,
                                              name))['state_dict']) is None


@pytest.mark.slow
def test_a_non_finite_final_state_fails_the_run(assets, tmp_path):
    cfg = tiny_cfg(assets, tmp_path, max_iters=1)
    cfg.default_hooks.checkpoint.update(interval=5, save_last=False)
    cfg.custom_hooks = cfg.get('custom_hooks', []) + [dict(type='PoisonHook')]
    with pytest.raises(
            FloatingPointError,
            match=r"training ended \(iteration 1\).*"
            r"'head.fc.bias' holds 1 NaN"):
        Runner.from_cfg(cfg).train()


@pytest.mark.slow
def test_divergence_advice_names_the_checkpoint_before_the_blow_up(
        assets, tmp_path):
    cfg = tiny_cfg(assets, tmp_path, max_iters=4)
    cfg.default_hooks.checkpoint.interval = 1
    cfg.custom_hooks = cfg.get('custom_hooks', []) + [dict(type='BlowUpHook')]
    with pytest.raises(FloatingPointError) as err:
        Runner.from_cfg(cfg).train()
    message = str(err.value)
    assert f'Newest all-finite checkpoint: {tmp_path}/iter_3.pth' in message
    assert re.search(
        r'; 1e\+06 at iteration 3\. Start a new run \(another '
        rf'--work-dir\) from {tmp_path}/iter_2.pth \(the newest '
        'save within 100 times', message), message


def test_non_finite_starting_weights_are_named(assets, tmp_path):
    """A NaN in the pretrained backbone: before, the first loss was NaN
    and the error named a loss term, not the weight."""
    state = load(assets[1])['state_dict']
    state['backbone.layer2.0.conv1.weight'][0, 0, 0, 0] = float('nan')
    torch.save(dict(state_dict=state), tmp_path / 'nan.pth')
    cfg = tiny_cfg(assets, tmp_path / 'w', max_iters=1)
    cfg.model.backbone.init_cfg.checkpoint = str(tmp_path / 'nan.pth')
    with pytest.raises(
            FloatingPointError,
            match=r'the weights training starts from \(iteration 0\) are '
            r"not finite: 'backbone.layer2.0.conv1.weight' holds 1 NaN"):
        Runner.from_cfg(cfg).train()
    assert checkpoints(tmp_path / 'w') == []


# -------------------------------------------------------- class consistency
@pytest.fixture(scope='module')
def splits(tmp_path_factory):
    """Test splits of the 3 classes: one without class1's folder (every
    later label shifts by one), one with class2's folder renamed."""
    root = tmp_path_factory.mktemp('splits')
    make_image_folder(str(root / 'missing' / 'test'), (2, 2, 2), seed=1)
    shutil.rmtree(root / 'missing' / 'test' / 'class1')
    make_image_folder(str(root / 'renamed' / 'test'), (2, 2, 2), seed=1)
    os.rename(root / 'renamed' / 'test' / 'class2',
              root / 'renamed' / 'test' / 'class2x')
    return {k: str(root / k) for k in ('missing', 'renamed')}


def test_head_classes_must_match_the_data(assets, tmp_path):
    cfg = tiny_cfg(assets, tmp_path, max_iters=1)
    cfg.model.head.num_classes = 1000  # inherited from an ImageNet base
    with pytest.raises(ValueError) as err:
        Runner.from_cfg(cfg).train()
    assert str(err.value).startswith(
        'train_dataloader.dataset has 3 classes (class0, class1, class2) but '
        'model.head.num_classes=1000')
    assert checkpoints(tmp_path) == []


def test_a_val_split_missing_a_class_is_caught_before_training(
        assets, splits, tmp_path):
    cfg = tiny_cfg(assets, tmp_path, max_iters=1)
    cfg.val_dataloader.dataset.data_root = splits['missing']
    with pytest.raises(
            ValueError,
            match=r'val_dataloader.dataset has 2 '
            r'classes \(class0, class2\) but model.head.'
            r'num_classes=3'):
        Runner.from_cfg(cfg).train()
    assert not osp.exists(osp.join(tmp_path, 'relationship.pth'))


@pytest.mark.slow
def test_a_val_split_of_other_classes_is_caught(assets, splits, tmp_path):
    cfg = tiny_cfg(assets, tmp_path, max_iters=1)
    cfg.val_dataloader.dataset.data_root = splits['renamed']
    with pytest.raises(
            ValueError,
            match="val_dataloader.dataset has other "
            "classes than train_dataloader.dataset: label 2 is "
            "'class2x' there but 'class2'"):
        Runner.from_cfg(cfg).train()


def test_a_label_beyond_the_head_names_the_sample(assets, tmp_path):
    root, _ = assets
    ann = tmp_path / 'train.txt'
    ann.write_text('class0/0.png 0\nclass1/0.png 1\nclass2/1.png 12\n'
                   'class2/0.png 2\n')
    cfg = tiny_cfg(assets, tmp_path / 'w', max_iters=1)
    inner = cfg.train_dataloader.dataset.dataset
    inner.update(
        ann_file=str(ann),
        data_prefix='train',
        metainfo=dict(classes=['class0', 'class1', 'class2']))
    cfg.train_dataloader.dataset.ratio = 1.0
    with pytest.raises(ValueError) as err:
        Runner.from_cfg(cfg).train()
    assert str(err.value).startswith(
        f'train_dataloader.dataset: sample 2 ({root}/train/class2/1.png) '
        'has label 12, but model.head.num_classes=3 allows labels 0 to 2')


@pytest.mark.parametrize('split,message', [
    ('missing', r'test_dataloader.dataset has 2 classes \(class0, class2\)'),
    ('renamed', "test_dataloader.dataset has other classes than the "
     "checkpoint .*label 2 is 'class2x'"),
])
@pytest.mark.slow
def test_testing_on_other_classes_than_the_checkpoint_is_caught(
        assets, splits, tmp_path, split, message):
    Runner.from_cfg(tiny_cfg(assets, tmp_path / 'a', max_iters=2)).train()
    cfg = tiny_cfg(assets, tmp_path / 'b')
    cfg.load_from = str(tmp_path / 'a' / 'iter_2.pth')
    cfg.test_dataloader.dataset.data_root = splits[split]
    with pytest.raises(ValueError, match=message):
        Runner.from_cfg(cfg).test()


# ----------------------------------------------------------- safe loading
@pytest.mark.parametrize('key', [
    'load_from', 'model.backbone.init_cfg.checkpoint',
    'model.head.source_checkpoint', 'resume_from'
])
def test_payload_checkpoints_run_no_code(assets, tmp_path, key):
    marker = str(tmp_path / 'MARKER')
    evil = payload_checkpoint(str(tmp_path / 'evil.pth'), marker)
    cfg = tiny_cfg(assets, tmp_path / 'w', max_iters=1)
    if key == 'resume_from':
        cfg.resume, cfg.load_from = True, evil
    else:
        cfg.merge_from_dict({key: evil})
    with pytest.raises(UnsafeCheckpointError, match='evil.pth.*io.open'):
        Runner.from_cfg(cfg).train()
    assert not osp.exists(marker)


def test_a_resumed_meta_config_is_not_run(assets, tmp_path):
    """``Runner.resume`` runs ``meta['config']`` as Python
    (``Config.fromstring``) to read ``gpu_ids``: a file that loads with
    weights_only=True could still run code on --resume."""
    from mmengine.logging import MessageHub
    marker = tmp_path / 'MARKER'
    crafted = str(tmp_path / 'crafted.pth')
    torch.save(
        dict(
            state_dict=load(assets[1])['state_dict'],
            meta=dict(
                epoch=0,
                iter=0,
                config=f'x = open({str(marker)!r}, "w")\ngpu_ids = [0]\n'),
            message_hub=MessageHub.get_instance('crafted').state_dict()),
        crafted)
    cfg = tiny_cfg(assets, tmp_path / 'w', max_iters=1)
    cfg.resume, cfg.load_from = True, crafted
    Runner.from_cfg(cfg).train()
    assert not marker.exists()


@pytest.mark.slow
def test_a_trusted_file_is_unpickled_in_full(assets, tmp_path):
    marker = str(tmp_path / 'MARKER')
    cfg = tiny_cfg(assets, tmp_path / 'w', max_iters=1)
    cfg.load_from = payload_checkpoint(str(tmp_path / 'evil.pth'), marker)
    cfg.trusted_checkpoints = [cfg.load_from]
    Runner.from_cfg(cfg).train()  # the payload's state_dict is empty
    assert osp.exists(marker)


# ------------------------------------------------------ safe checkpointing
@pytest.mark.slow
def test_checkpoint_writes_replace_planted_links(assets, tmp_path):
    work = tmp_path / 'w'
    work.mkdir()
    targets = {}
    for name in ('iter_1.pth', 'last_checkpoint'):
        target = tmp_path / f'precious_{name}'
        target.write_text('keep me')
        os.symlink(target, work / name)
        targets[name] = target
    cfg = tiny_cfg(assets, work, max_iters=1)
    cfg.default_hooks.checkpoint.interval = 1
    Runner.from_cfg(cfg).train()
    for name, target in targets.items():
        assert target.read_text() == 'keep me'
        assert not osp.islink(work / name)
    assert load(str(work / 'iter_1.pth'))['meta']['iter'] == 1
    assert open(work / 'last_checkpoint').read() == str(work / 'iter_1.pth')
    assert [n for n in os.listdir(work) if n.endswith('.tmp')] == []


def test_mmengines_file_client_notices_are_left_out_of_the_log(
        assets, tmp_path):
    cfg = tiny_cfg(assets, tmp_path, max_iters=2)
    cfg.default_hooks.checkpoint.interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()  # builds a FileClient at the start and at both saves
    runner.logger.warning('"FileClient" will be deprecated: after the run')
    log = open(osp.join(runner.log_dir, f'{runner.timestamp}.log')).read()
    assert checkpoints(tmp_path) == ['iter_1.pth', 'iter_2.pth']
    assert 'Saving checkpoint at 2 iterations' in log
    assert 'LocalBackend' not in log
    # dropped during the run only; the filter is off the logger after it
    assert re.findall(r'"FileClient" will be deprecated.*', log) == [
        '"FileClient" will be deprecated: after the run'
    ]
