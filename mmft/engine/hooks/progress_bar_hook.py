"""A progress bar over the batches of validation and test passes."""
import sys
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar

from mmft.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Show a progress bar (batches done, rate, ETA) while MMEngine's
    validation or test loop runs, on the main process only.

    MMEngine logs a test pass every ``logger.interval`` batches; a long
    feature extraction (the retrieval and clustering evaluation configs go
    through every image of the train split) is easier to follow with a bar.
    The bar counts this rank's batches (``len(dataloader)``).

    Args:
        val (bool): Show it during validation. Defaults to True.
        test (bool): Show it during testing. Defaults to True.
    """
    priority = 'BELOW_NORMAL'

    def __init__(self, val: bool = True, test: bool = True) -> None:
        self.val, self.test = bool(val), bool(test)
        self.bar: Optional[ProgressBar] = None

    def _start(self, loader) -> None:
        if is_main_process():
            self.bar = ProgressBar(len(loader))

    def _step(self) -> None:
        if self.bar is not None:
            self.bar.update()

    def _finish(self) -> None:
        if self.bar is not None:
            sys.stdout.write('\n')
            sys.stdout.flush()
            self.bar = None

    def before_val_epoch(self, runner) -> None:
        """Start the bar over the validation batches."""
        if self.val:
            self._start(runner.val_dataloader)

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs=None) -> None:
        """Advance it by one batch."""
        self._step()

    def after_val_epoch(self, runner, metrics=None) -> None:
        """End its line."""
        self._finish()

    def before_test_epoch(self, runner) -> None:
        """Start the bar over the test batches."""
        if self.test:
            self._start(runner.test_dataloader)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs=None) -> None:
        """Advance it by one batch."""
        self._step()

    def after_test_epoch(self, runner, metrics=None) -> None:
        """End its line."""
        self._finish()
