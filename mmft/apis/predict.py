"""Batched predictions over image files, for ``tools/infer.py``.

The images go through the config's test pipeline in a data loader (its
workers decode in parallel) and the model in batches; an image that cannot be
read becomes an error of its own instead of a batch.
"""
import csv
import io
import json
import os
import os.path as osp
from collections import defaultdict
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from torch.utils.data import DataLoader, Dataset

from mmft.registry import TRANSFORMS
from mmft.runtime import atomic_write_text
from mmft.utils import innermost_dataset

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif',
                    '.tiff', '.webp')


def collect_images(source: str) -> Tuple[List[str], List[str]]:
    """The images an INPUT names.

    Args:
        source (str): An image (by its extension), a folder (every image
            below it, sorted) or a list file (one path a line, relative to
            the list's folder; blank lines and ``#`` comments skipped).

    Returns:
        tuple: The image paths, and the files of a folder that were left
        out because their extension is not an image's.

    Raises:
        FileNotFoundError: ``source`` does not exist.
        ValueError: A folder without images, or an empty list.
    """
    if osp.isdir(source):
        images, others = [], []
        for folder, _, files in sorted(os.walk(source)):
            for name in sorted(files):
                path = osp.join(folder, name)
                is_image = name.lower().endswith(IMAGE_EXTENSIONS)
                (images if is_image else others).append(path)
        if not images:
            raise ValueError(
                f'INPUT folder {source!r} holds no images (files ending in '
                f"{', '.join(IMAGE_EXTENSIONS)}; {len(others)} other files)")
        return images, others
    if not osp.isfile(source):
        raise FileNotFoundError(f'INPUT {source!r} does not exist')
    if source.lower().endswith(IMAGE_EXTENSIONS):
        return [source], []
    with open(source) as f:
        lines = [line.strip() for line in f]
    root = osp.dirname(source)
    images = [
        osp.join(root, line) for line in lines
        if line and not line.startswith('#')
    ]
    if not images:
        raise ValueError(f'INPUT list {source!r} names no image (one path a '
                         'line, relative to its folder)')
    return images, []


def test_pipeline(cfg: Config) -> Callable:
    """The config's test pipeline (its innermost test set's), with image
    loading, built in mmft's scope (``CheckedLoadImageFromFile`` names a
    file it cannot read)."""
    if 'test_dataloader' not in cfg:
        raise ValueError('the config has no test_dataloader: its '
                         'test_dataloader.dataset.pipeline is the inference '
                         'pipeline')
    pipeline = innermost_dataset(cfg.test_dataloader.dataset).pipeline
    with DefaultScope.overwrite_default_scope('mmft'):
        return Compose([TRANSFORMS.build(t) for t in pipeline])


class ImageFiles(Dataset):
    """Image files through a pipeline; a file that fails gives its error.

    Args:
        paths (Sequence[str]): The images.
        pipeline (Callable): From ``dict(img_path=...)`` to packed inputs.
    """

    def __init__(self, paths: Sequence[str], pipeline: Callable) -> None:
        self.paths = list(paths)
        self.pipeline = pipeline

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> Tuple[int, Optional[dict], str]:
        path = self.paths[index]
        try:
            packed = self.pipeline(dict(img_path=path, sample_idx=index))
        except Exception as e:  # reported per file, not for the batch
            message = f'{type(e).__name__}: {e}'.splitlines()[0]
            return index, None, message if path in message else \
                f'{path}: {message}'
        return index, packed, ''


def keep_apart(batch: list) -> list:
    """Collate by returning the samples as they are (grouped later)."""
    return batch


@torch.no_grad()
def predict_files(
    model: BaseModel,
    pipeline: Callable,
    paths: Sequence[str],
    topk: int = 5,
    batch_size: int = 32,
    num_workers: int = 0
) -> Iterator[Tuple[List[int], torch.Tensor, torch.Tensor, List[Tuple[int,
                                                                      str]]]]:
    """Predict every image, in batches.

    Images of one batch that have the same size after the pipeline go
    through the model together (all of them, for a pipeline that resizes).

    Args:
        model (BaseModel): A classifier in eval mode.
        pipeline (Callable): Its test pipeline, image loading included.
        paths (Sequence[str]): The images.
        topk (int): Classes kept an image, best first. Defaults to 5.
        batch_size (int): Images a batch. Defaults to 32.
        num_workers (int): Data loader workers. Defaults to 0.

    Yields:
        tuple: A batch's ``(indices, scores, labels, errors)``: the indices
        of the images predicted, their ``[n, topk]`` top probabilities and
        labels, and ``(index, error text)`` for those that failed.
    """
    loader = DataLoader(
        ImageFiles(paths, pipeline),
        batch_size=batch_size,
        # workers only pay off from a second batch on
        num_workers=num_workers if len(paths) > batch_size else 0,
        collate_fn=keep_apart)
    for batch in loader:
        by_shape = defaultdict(list)
        errors = [(index, error) for index, packed, error in batch
                  if packed is None]
        for index, packed, _ in batch:
            if packed is not None:
                by_shape[tuple(packed['inputs'].shape)].append((index, packed))
        if not by_shape:
            yield [], torch.zeros(0, topk), torch.zeros(
                0, topk, dtype=torch.long), errors
        for group in by_shape.values():
            data = model.data_preprocessor(
                dict(
                    inputs=torch.stack([p['inputs'] for _, p in group]),
                    data_samples=[p['data_samples'] for _, p in group]), False)
            predictions = model(**data, mode='predict')
            scores = torch.stack([p.pred_score for p in predictions]).cpu()
            top_scores, top_labels = scores.topk(topk, dim=1)
            yield [i for i, _ in group], top_scores, top_labels, errors
            errors = []


def prediction_rows(results: Iterator, paths: Sequence[str],
                    classes: Optional[Sequence[str]]) -> List[dict]:
    """The predictions in the order of ``paths``.

    Args:
        results (Iterator): What :func:`predict_files` yields.
        paths (Sequence[str]): The images.
        classes (Sequence[str], optional): Class names by label.

    Returns:
        list[dict]: Per image ``image``, ``labels``, ``classes`` (None
        without names), ``scores`` (best first) and ``error`` ('' if
        predicted).
    """
    rows = {}
    for indices, scores, labels, errors in results:
        for index, error in errors:
            rows[index] = dict(
                image=paths[index],
                labels=[],
                classes=[],
                scores=[],
                error=error)
        for index, top_scores, top_labels in zip(indices, scores.tolist(),
                                                 labels.tolist()):
            rows[index] = dict(
                image=paths[index],
                labels=top_labels,
                classes=[str(classes[j])
                         for j in top_labels] if classes else None,
                scores=top_scores,
                error='')
    return [rows[i] for i in sorted(rows)]


def write_predictions(rows: List[dict], path: str, topk: int) -> None:
    """Write the rows as CSV (one line an image: ``image``, then ``topN_
    label``, ``topN_class``, ``topN_score`` for N = 1..topk, then
    ``error``) or JSON (the rows), by ``path``'s extension.

    Args:
        rows (list[dict]): From :func:`prediction_rows`.
        path (str): A ``.csv`` or ``.json`` file.
        topk (int): Predictions an image.
    """
    if path.lower().endswith('.json'):
        atomic_write_text(json.dumps(rows, indent=1) + '\n', path)
        return
    if not path.lower().endswith('.csv'):
        raise ValueError(f'--out {path!r}: name a .csv or a .json file')
    text = io.StringIO()
    writer = csv.writer(text, lineterminator='\n')
    writer.writerow(['image'] + [
        f'top{n}_{field}' for n in range(1, topk + 1)
        for field in ('label', 'class', 'score')
    ] + ['error'])
    for row in rows:
        cells = []
        for n in range(topk):
            if n < len(row['labels']):
                name = row['classes'][n] if row['classes'] else ''
                cells += [row['labels'][n], name, f"{row['scores'][n]:.6f}"]
            else:
                cells += ['', '', '']
        writer.writerow([row['image']] + cells + [row['error']])
    atomic_write_text(text.getvalue(), path)
