"""Per-class key queues of Bi-tuning (method notes, 2.3)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .gather import gather_batch


class PerClassQueue(nn.Module):
    """``[C, K, D]`` queue of unit-norm keys, one FIFO of K keys per class.

    Buffers (saved in checkpoints): ``queue`` ``[C, K, D]``, initialised to
    random unit vectors as in TLlib, and ``ptr`` ``[C]``, the next slot of
    each class. An enqueue writes a whole batch in a few tensor ops with the
    semantics of TLlib's one-sample-at-a-time loop: the keys of class c go to
    slots ``(ptr[c] + j) mod K`` in batch order, later ones overwrite earlier
    ones when a batch holds more than K keys of a class (the last K survive),
    and ``ptr[c]`` advances by the class's count. Keys and labels are
    gathered from every rank first, in the global sample order
    (:func:`gather_batch`), so all ranks hold the same queue, the one a
    single process with the whole global batch would hold.

    Args:
        num_classes (int): Number of classes C.
        queue_size (int): Keys per class K (>= 1).
        dim (int): Key dimension D.
    """

    def __init__(self, num_classes: int, queue_size: int, dim: int) -> None:
        super().__init__()
        for key, value in (('num_classes', num_classes),
                           ('queue_size', queue_size), ('dim', dim)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'PerClassQueue: `{key}` must be an int >= '
                                 f'1, got {value!r}')
        self.num_classes = num_classes
        self.queue_size = queue_size
        self.dim = dim
        self.register_buffer(
            'queue',
            F.normalize(torch.randn(num_classes, queue_size, dim), dim=2))
        self.register_buffer('ptr', torch.zeros(num_classes, dtype=torch.long))

    @torch.no_grad()
    def enqueue(self,
                keys: torch.Tensor,
                labels: torch.Tensor,
                gather: bool = True) -> None:
        """Write a batch of keys into the queues of their classes.

        Args:
            keys (Tensor): ``[B, D]`` keys (detached, normalised by caller).
            labels (Tensor): ``[B]`` class of each key.
            gather (bool): Gather keys and labels from all ranks first.
                Defaults to True (a no-op in a single process).
        """
        if gather:
            keys, labels = gather_batch(keys), gather_batch(labels)
        labels = labels.long()
        n = labels.numel()
        num, size = self.num_classes, self.queue_size
        # j: rank of each sample among the batch's samples of its class.
        order = torch.sort(labels, stable=True).indices
        sorted_labels = labels[order]
        first = torch.searchsorted(sorted_labels, sorted_labels, right=False)
        rank = torch.empty_like(labels)
        rank[order] = torch.arange(n, device=labels.device) - first
        flat = labels * size + (self.ptr[labels] + rank) % size
        # Last write wins: every write to a slot carries the winner's key, so
        # duplicate indices are harmless and no shape depends on the data.
        winner = torch.full((num * size, ),
                            -1,
                            dtype=torch.long,
                            device=labels.device)
        winner.scatter_reduce_(
            0, flat, torch.arange(n, device=labels.device), reduce='amax')
        self.queue.view(num * size,
                        -1)[flat] = keys[winner[flat]].to(self.queue.dtype)
        counts = torch.bincount(labels, minlength=num)
        self.ptr.copy_((self.ptr + counts) % size)
