"""Co-tuning and Bi-tuning on one classifier (an mmft composition).

No paper combines the two; the losses simply add up: target CE, the source
head's soft-CE against the category relationship, and CCE.
"""

from mmft.registry import MODELS
from .contrastive_ce_mixin import ContrastiveCEMixin
from .cotuning_head import CoTuningHead


@MODELS.register_module()
class CoTuningContrastiveHead(ContrastiveCEMixin, CoTuningHead):
    """:class:`CoTuningHead` whose target classifier also gets CCE.

    The head of a ``BiTuning`` model; ``CategoryRelationshipHook`` fills its
    relationship as for ``CoTuningHead``.

    Args:
        num_classes (int): Number of target classes.
        in_channels (int): Feature channels.
        queue_size (int): Keys per class K. Defaults to 40.
        temperature (float): tau. Defaults to 0.07.
        cce_weight (float): lambda of the CCE term. Defaults to 1.0.
        detach_class_weight (bool): As in ``ContrastiveCEHead``.
        enqueue_first (bool): As in ``ContrastiveCEHead``.
        **kwargs: Arguments of ``CoTuningHead`` (``num_source_classes``,
            ``source_loss_weight``, ``source_checkpoint``, ...).
    """
