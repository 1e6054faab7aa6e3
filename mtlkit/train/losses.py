"""Per-task losses: softmax cross-entropy for every head.

The 2023 study trained its superclass head with binary cross-entropy, also where that head had 20
classes (its ViT multi-task runs on CIFAR-100, see ``mtlkit.capstone.study``); that scores each class
as an independent yes/no question while a softmax makes them compete, and it shrinks the loss by the
number of classes. Each
head here is a K-way classifier, so its loss is the K-way cross-entropy
``L_t = -1/B sum_b log softmax(z_b)[y_b]``, optionally with label smoothing (Szegedy et al. 2016).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def task_losses(
    logits: dict[str, Tensor], labels: dict[str, Tensor], label_smoothing: float = 0.0
) -> dict[str, Tensor]:
    """Mean cross-entropy of each task's logits against its labels, computed in float32."""
    return {
        task: F.cross_entropy(out.float(), labels[task], label_smoothing=label_smoothing)
        for task, out in logits.items()
    }


def correct_counts(logits: dict[str, Tensor], labels: dict[str, Tensor]) -> dict[str, Tensor]:
    """Number of correct top-1 predictions per task, as device tensors (no host synchronisation)."""
    return {task: (out.argmax(dim=1) == labels[task]).sum() for task, out in logits.items()}


def coarse_from_fine_correct(fine_logits: Tensor, coarse_labels: Tensor, coarse_of_fine: Tensor) -> Tensor:
    """Correct coarse predictions obtained by mapping the fine head's argmax through ``coarse_of_fine``
    (which must already be on the logits' device: move it once, before the batch loop)."""
    if coarse_of_fine.device != fine_logits.device:
        raise ValueError(f"coarse_of_fine is on {coarse_of_fine.device}, the logits on {fine_logits.device}")
    predicted = coarse_of_fine[fine_logits.argmax(dim=1)]
    return (predicted == coarse_labels).sum()
