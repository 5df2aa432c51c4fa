"""Load checkpoints without running code from them, for a whole run."""
import contextlib
import logging
from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmft import patches
from mmft.registry import HOOKS
from ..safe_load import safe_checkpoint_loading


@HOOKS.register_module()
class SafeLoadingHook(Hook):
    """Route mmengine's local checkpoint loading through mmft's safe loader
    while the Runner runs.

    From ``before_run`` (before the weights are initialised and ``load_from``
    or ``--resume`` is loaded) to ``after_run``, every local file that
    mmengine loads goes through :func:`mmft.runtime.load_checkpoint_file`:
    ``weights_only=True`` with the globals of mmengine checkpoints allowed,
    and full unpickling only for the files named in the config's top-level
    ``trusted_checkpoints`` list (``tools/train.py --trust-checkpoint``).
    A loaded checkpoint's ``meta['config']``, which ``Runner.resume`` would
    execute, is dropped. It logs which of mmft's patches of other packages
    are in effect (:func:`mmft.patches.summary`).
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._scope: Optional[contextlib.ExitStack] = None

    def before_run(self, runner) -> None:
        """Enter the safe loading scope."""
        self.after_run(runner)
        self._scope = contextlib.ExitStack()
        self._scope.enter_context(
            safe_checkpoint_loading(
                runner.cfg.get('trusted_checkpoints') or ()))
        runner.logger.info(patches.summary())

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Drop ``meta['config']``: ``Runner.resume`` would run it as Python
        (``Config.fromstring``) to read ``gpu_ids``. mmengine writes the
        config to ``meta['cfg']``, so only a crafted file has it."""
        meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
        if isinstance(meta, dict) and 'config' in meta:
            meta.pop('config')
            print_log(
                "the loaded checkpoint's meta['config'] was dropped unread: "
                'MMEngine would run it as Python code on --resume',
                logger='current',
                level=logging.WARNING)

    def after_run(self, runner) -> None:
        """Restore mmengine's previous loader."""
        if self._scope is not None:
            self._scope.close()
            self._scope = None
