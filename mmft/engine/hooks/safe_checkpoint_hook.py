"""mmengine's CheckpointHook, writing whole files and never through links."""
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmft import patches
from mmft.registry import HOOKS
from mmft.utils import BACKEND_NAME


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """:class:`mmengine.hooks.CheckpointHook` with safe writes.

    Checkpoints are written to a temporary name and renamed
    (:class:`mmft.utils.AtomicLocalBackend`, the default ``backend_args``),
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

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        """mmengine's private method (the ``checkpoint-hook`` patch of
        :mod:`mmft.patches`): ``last_checkpoint`` is written with
        ``open()``, so a link in its place is removed first."""
        record = osp.join(runner.work_dir, 'last_checkpoint')
        if patches.applies('checkpoint-hook') and is_main_process() \
                and osp.islink(record):
            os.unlink(record)
        super()._save_checkpoint_with_step(runner, step, meta)
