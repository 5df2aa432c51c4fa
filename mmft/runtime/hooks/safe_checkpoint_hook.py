"""mmengine's CheckpointHook, writing whole files and never through links."""
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmft import patches
from mmft.registry import HOOKS
from ..atomic_local_backend import BACKEND_NAME
from ..quiet import FILE_CLIENT_NOTICES, WithoutMessages


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """:class:`mmengine.hooks.CheckpointHook` with safe writes.

    Checkpoints are written to a temporary name and renamed
    (:class:`mmft.runtime.AtomicLocalBackend`, the default ``backend_args``),
    so a killed run never leaves a half checkpoint that a later ``--resume``
    trusts, and a symlink planted where a checkpoint or ``last_checkpoint``
    goes is replaced instead of written through. Takes every argument of
    ``CheckpointHook``.
    """

    def __init__(self, *args, **kwargs) -> None:
        if kwargs.get('backend_args') is None and not kwargs.get(
                'file_client_args'):
            kwargs['backend_args'] = dict(backend=BACKEND_NAME)
        super().__init__(*args, **kwargs)
        if patches.applies('checkpoint-hook'):
            patches.mark_applied('checkpoint-hook')

    def before_run(self, runner) -> None:
        """Leave mmengine's two FileClient deprecation lines out of the log:
        mmengine builds that client at the start of training and at every
        save even when none is configured (a configured
        ``file_client_args`` keeps them)."""
        super().before_run(runner)
        self._quiet = None
        if self.file_client_args is None:
            self._quiet = WithoutMessages(FILE_CLIENT_NOTICES)
            runner.logger.addFilter(self._quiet)

    def after_run(self, runner) -> None:
        """Take the filter of :meth:`before_run` off the run's logger."""
        if getattr(self, '_quiet', None) is not None:
            runner.logger.removeFilter(self._quiet)
            self._quiet = None
        super().after_run(runner)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        """mmengine's private method (the ``checkpoint-hook`` patch of
        :mod:`mmft.patches`): ``last_checkpoint`` is written with
        ``open()``, so a link in its place is removed first."""
        record = osp.join(runner.work_dir, 'last_checkpoint')
        if patches.applies('checkpoint-hook') and is_main_process() \
                and osp.islink(record):
            os.unlink(record)
        super()._save_checkpoint_with_step(runner, step, meta)
