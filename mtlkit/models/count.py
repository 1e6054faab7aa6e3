"""Parameter counts split into shared and per-task parts, comparable across architectures.

Hard sharing: the backbone (+ trunk) is shared, heads per task. Single task: all of it is the task's.
Soft sharing and cross-stitch: each task's column (backbone, trunk, head) counts for that task; the
cross-stitch alphas are shared. ``total`` counts every distinct parameter of the model once.
"""

from __future__ import annotations

from torch import nn

from mtlkit.models.base import unique


def _numel(parameters: list[nn.Parameter]) -> int:
    return sum(p.numel() for p in unique(parameters))


def count_parameters(model: nn.Module) -> dict[str, int]:
    """``{"shared": n, "<task>": n, ..., "total": n}``; a plain module gives ``{"total": n}``."""
    total = _numel(list(model.parameters()))
    if not hasattr(model, "task_parameters"):
        return {"total": total}
    counts = {"shared": _numel(model.shared_parameters())}
    counts.update({task: _numel(model.task_parameters(task)) for task in model.tasks})
    counts["total"] = total
    return counts
