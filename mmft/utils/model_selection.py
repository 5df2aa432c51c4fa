"""Where validation (and so the best checkpoint) comes from."""
import copy

from mmengine.config import Config

from .datasets import innermost_dataset

TEST_SPLIT = 'test split (TLlib)'


def holdout_protocol(holdout: float) -> str:
    """The label of model selection on a training holdout."""
    return f'train holdout {holdout:g}'


def validate_on_train_holdout(cfg: Config, holdout: float) -> None:
    """Validate on a seeded per-class share of the labelled training subset
    instead of the config's validation set (the test split in TLlib's
    protocol), so that the best checkpoint is chosen without the test set.

    The training set (a ``ClassSubsetDataset``) gets ``holdout`` and
    ``part='train'``; the validation set becomes the same wrapper with
    ``part='val'`` and the validation pipeline. The test set is untouched.
    ``cfg.model_selection`` records the protocol.

    Args:
        cfg (Config): The run's config (changed in place).
        holdout (float): Share of each class to hold out, in (0, 1).

    Raises:
        ValueError: Naming the config key that does not fit.
    """
    if not 0 < holdout < 1:
        raise ValueError(f'--val-from-train must be in (0, 1), got {holdout}')
    train = cfg.train_dataloader.dataset
    if train.get('type') not in ('ClassSubsetDataset',
                                 'mmft.ClassSubsetDataset'):
        raise ValueError(
            '--val-from-train needs train_dataloader.dataset of type '
            f"ClassSubsetDataset, got {train.get('type')!r}")
    if not cfg.get('val_dataloader'):
        raise ValueError('--val-from-train needs a val_dataloader (its '
                         'pipeline and batch size are used)')
    pipeline = copy.deepcopy(
        innermost_dataset(cfg.val_dataloader.dataset)['pipeline'])
    train = copy.deepcopy(train)
    train.update(holdout=holdout, part='train')
    val = copy.deepcopy(train)
    val['part'] = 'val'
    innermost_dataset(val)['pipeline'] = pipeline
    loader = copy.deepcopy(cfg.val_dataloader)  # test_dataloader may share it
    # (assigned, not update()d: ConfigDict.update merges nested dicts)
    loader['dataset'] = val
    loader['sampler'] = dict(type='DefaultSampler', shuffle=False)
    cfg.train_dataloader.dataset = train
    cfg.val_dataloader = loader
    cfg.model_selection = holdout_protocol(holdout)
