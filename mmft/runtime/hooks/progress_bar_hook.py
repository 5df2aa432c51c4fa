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
        self.modes = {m for m, on in (('val', val), ('test', test)) if on}
        self.bar: Optional[ProgressBar] = None

    def _before_epoch(self, runner, mode: str = 'train') -> None:
        """Start a bar over this rank's batches of a val or test pass."""
        if mode in self.modes and is_main_process():
            loader = getattr(runner, f'{mode}_dataloader')
            self.bar = ProgressBar(len(loader), file=sys.stdout)

    def _after_iter(self,
                    runner,
                    batch_idx: int,
                    data_batch=None,
                    outputs=None,
                    mode: str = 'train') -> None:
        """Advance it by one batch."""
        if self.bar is not None and mode in self.modes:
            self.bar.update()

    def _after_epoch(self, runner, mode: str = 'train') -> None:
        """End its line."""
        if self.bar is not None and mode in self.modes:
            self.bar.file.write('\n')
            self.bar.file.flush()
            self.bar = None
