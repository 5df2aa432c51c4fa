"""Find the checkpoint that a bare ``--resume`` continues from."""
import glob
import logging
import os.path as osp
import re
from typing import Iterable, List, Optional

from mmengine.logging import print_log

from .safe_load import CheckpointLoadError, load_checkpoint_file

_STEP = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')


def _named_checkpoint(work_dir: str) -> Optional[str]:
    """The file ``work_dir/last_checkpoint`` names, resolved in the work dir.

    A relative entry is relative to the work dir. An absolute one outside
    the work dir (the work dir was moved or copied) is looked up by its file
    name in the work dir: a copied work dir resumes its own checkpoint, not
    the original's.

    Raises:
        CheckpointLoadError: The entry names a file outside the work dir that
            exists while the work dir has no file of that name: resuming it
            would continue another run's checkpoint.
    """
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        return None
    with open(record) as f:
        name = f.read().strip()
    if not name:
        return None
    if not osp.isabs(name):
        return osp.join(work_dir, name)
    own = osp.join(work_dir, osp.basename(name))
    inside = osp.realpath(osp.dirname(name)) == osp.realpath(work_dir)
    if inside:
        return name
    if not osp.exists(name) or osp.exists(own):
        if osp.exists(name):
            print_log(
                f'--resume: {record} names {name}, outside the work dir '
                f'(a copy of another work dir?): resuming {own}, the work '
                'dir\'s own file of that name',
                logger='current',
                level=logging.WARNING)
        return own
    raise CheckpointLoadError(
        f'--resume: {record} names {name}, which is outside the work dir '
        f'(was the work dir copied?), and the work dir has no '
        f'{osp.basename(name)} of its own ({own} does not exist). Resume '
        f'that run in its own work dir, or pass the checkpoint to resume '
        f'from: --resume {name}')


def resume_candidates(work_dir: str) -> List[str]:
    """Checkpoints of ``work_dir``, the one to try first first.

    ``last_checkpoint``'s file, then ``iter_*.pth`` / ``epoch_*.pth`` from
    the highest step down.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        list[str]: Paths (the first may not exist).
    """
    steps = []
    for path in glob.glob(osp.join(glob.escape(work_dir), '*_*.pth')):
        match = _STEP.match(osp.basename(path))
        if match:
            steps.append((int(match.group(1)), path))
    ordered = [path for _, path in sorted(steps, reverse=True)]
    named = _named_checkpoint(work_dir)
    if named is None:
        return ordered
    return [named
            ] + [p for p in ordered if osp.realpath(p) != osp.realpath(named)]


# yapf: disable
def latest_loadable_checkpoint(work_dir: str,
                               trusted_files: Iterable[str] = ()
                               ) -> Optional[str]:
    # yapf: enable
    """The newest checkpoint of ``work_dir`` that loads, for ``--resume``.

    Each skipped file is logged with the reason.

    Args:
        work_dir (str): The run's work dir.
        trusted_files (Iterable[str]): Files the user named as trusted.

    Returns:
        str | None: The checkpoint, or None when the work dir has none.

    Raises:
        CheckpointLoadError: Checkpoints exist but none of them loads.
    """
    trusted = {osp.realpath(p) for p in trusted_files}
    skipped = []
    for path in resume_candidates(work_dir):
        try:
            checkpoint = load_checkpoint_file(
                path, map_location='cpu', trust=osp.realpath(path) in trusted)
            if not isinstance(checkpoint, dict) or 'meta' not in checkpoint:
                raise CheckpointLoadError(
                    f'{path!r} holds no training state (no "meta")')
        except (FileNotFoundError, CheckpointLoadError) as e:
            skipped.append(f'{path}: {e}')
            print_log(
                f'--resume: skipped {path}: {e}',
                logger='current',
                level=logging.WARNING)
            continue
        if skipped:
            print_log(
                f'--resume: continuing from {path}',
                logger='current',
                level=logging.WARNING)
        return path
    if skipped:
        raise CheckpointLoadError(
            f'--resume: no checkpoint in {work_dir!r} loads:\n  ' +
            '\n  '.join(skipped))
    return None
