"""Load checkpoints without running code from them, for a whole run."""
import contextlib
from typing import Optional

from mmengine.hooks import Hook

from mmft.registry import HOOKS
from mmft.utils import safe_checkpoint_loading


@HOOKS.register_module()
class SafeLoadingHook(Hook):
    """Route mmengine's local checkpoint loading through mmft's safe loader
    while the Runner runs.

    From ``before_run`` (before the weights are initialised and ``load_from``
    or ``--resume`` is loaded) to ``after_run``, every local file that
    mmengine loads goes through :func:`mmft.utils.load_checkpoint_file`:
    ``weights_only=True`` with the globals of mmengine checkpoints allowed,
    and full unpickling only for the files named in the config's top-level
    ``trusted_checkpoints`` list (``tools/train.py --trust-checkpoint``).
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

    def after_run(self, runner) -> None:
        """Restore mmengine's previous loader."""
        if self._scope is not None:
            self._scope.close()
            self._scope = None
