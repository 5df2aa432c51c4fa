"""The tools add no safety hook: the config turns them on, and one without
them is named in one notice (``mmft/runtime/safety_hooks.py``)."""
import io
import os.path as osp

from mmengine.config import Config

from mmft.runtime.safety_hooks import (SAFETY_HOOKS, check_safety_hooks,
                                       missing_safety_hooks, safety_notice)
from tests.helpers import ROOT

ALL = [
    'checkpoint', 'safe_loading', 'finite_loss', 'finite_state',
    'class_consistency', 'resume_check'
]


def plain_cfg(**extra) -> Config:
    """A config on mmengine's hooks only (as one on mmpretrain's runtime)."""
    hooks = dict(
        timer=dict(type='IterTimerHook'),
        checkpoint=dict(type='CheckpointHook', interval=1))
    return Config(dict(default_hooks=hooks, **extra))


def test_default_runtime_has_every_safety_hook():
    cfg = Config.fromfile(osp.join(ROOT, 'tests', 'configs', 'tiny_erm.py'))
    assert list(SAFETY_HOOKS) == ALL
    for key, (name, _) in SAFETY_HOOKS.items():
        assert cfg.default_hooks[key].type == name
    assert 'mmft.runtime' in cfg.custom_imports.imports
    out = io.StringIO()
    assert check_safety_hooks(cfg, out=out) == []
    assert out.getvalue() == ''


def test_a_config_without_them_gets_a_notice_and_no_hook():
    cfg = plain_cfg()
    before = cfg.to_dict()['default_hooks']
    out = io.StringIO()
    assert check_safety_hooks(cfg, out=out) == ALL
    assert cfg.to_dict()['default_hooks'] == before  # nothing added
    text = out.getvalue()
    assert text == safety_notice(ALL) + '\n'
    lines = text.splitlines()
    assert lines[0] == (
        'mmft: this config does not turn on 6 of the safety hooks of '
        'configs/_base_/default_runtime.py; the run goes on without them:')
    assert lines[1:7] == [
        f'  default_hooks.{key} = dict(type={name!r})  # {guarantee}'
        for key, (name, guarantee) in SAFETY_HOOKS.items()
    ]
    assert lines[7].startswith(
        'To turn them on, inherit configs/_base_/default_runtime.py')
    assert len(lines) == 8


def test_without_a_checkpoint_key_mmengines_plain_hook_is_named():
    cfg = Config(dict(default_hooks=dict(timer=dict(type='IterTimerHook'))))
    assert missing_safety_hooks(cfg) == ALL
    assert missing_safety_hooks(Config(dict())) == ALL


def test_a_key_turned_off_or_a_custom_hook_is_not_named():
    cfg = plain_cfg(custom_hooks=[dict(type='mmft.FiniteStateHook')])
    cfg.default_hooks.safe_loading = None  # the config's choice
    cfg.default_hooks.checkpoint.type = 'mmft.SafeCheckpointHook'
    assert missing_safety_hooks(cfg) == [
        'finite_loss', 'class_consistency', 'resume_check'
    ]


def test_notify_false_is_silent_and_no_notice_for_nothing():
    out = io.StringIO()
    assert check_safety_hooks(plain_cfg(), notify=False, out=out) == ALL
    assert out.getvalue() == ''
    assert safety_notice([]) == ''


def test_trusted_files_are_appended_to_the_config():
    cfg = plain_cfg(trusted_checkpoints=['a.pth'])
    check_safety_hooks(cfg, trusted=['b.pth'], notify=False)
    assert cfg.trusted_checkpoints == ['a.pth', 'b.pth']
    cfg = plain_cfg()
    check_safety_hooks(cfg, notify=False)
    assert cfg.trusted_checkpoints == []
