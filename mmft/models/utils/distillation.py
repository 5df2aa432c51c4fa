"""Knowledge distillation as LwF uses it (TLlib's
``KnowledgeDistillationLoss``)."""
import torch
import torch.nn.functional as F


def distillation_loss(student: torch.Tensor, teacher: torch.Tensor,
                      temperature: float) -> torch.Tensor:
    """``KL(softmax(teacher / T) || softmax(student / T))``, batch mean.

    As TLlib's ``KnowledgeDistillationLoss`` (``KLDivLoss(reduction=
    'batchmean')``, no ``T^2`` factor). Computed in float32.

    Args:
        student (Tensor): ``[B, C]`` logits being trained.
        teacher (Tensor): ``[B, C]`` target logits (no gradient).
        temperature (float): T.

    Returns:
        Tensor: The loss, a scalar.
    """
    return F.kl_div(
        F.log_softmax(student.float() / temperature, dim=1),
        F.softmax(teacher.detach().float() / temperature, dim=1),
        reduction='batchmean')
