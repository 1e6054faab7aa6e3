"""Parameter counts split into shared and per-task parts, comparable across architectures.

Each task gets the parameters that belong to it (:meth:`~mtlkit.models.MultiTaskModel.task_parameters`),
``shared`` is every other parameter, so ``shared + sum of tasks == total``. Hard sharing: the backbone
(+ trunk) is shared, heads per task. Single task: all of it is the task's. Soft sharing and cross-stitch:
each task's column (backbone, trunk, head) counts for that task; the cross-stitch alphas are shared
(although every task's gradient also reaches the columns, which is what ``shared_parameters()`` reports
for the gradient methods). ``total`` counts every distinct parameter of the model once.
"""

from __future__ import annotations

from torch import nn

from mtlkit.models.base import MultiTaskModel, unique


def _numel(parameters: list[nn.Parameter]) -> int:
    return sum(p.numel() for p in unique(parameters))


def count_parameters(model: nn.Module) -> dict[str, int]:
    """``{"shared": n, "<task>": n, ..., "total": n}``; a plain module gives ``{"total": n}``."""
    total = _numel(list(model.parameters()))
    if not isinstance(model, MultiTaskModel):
        return {"total": total}
    per_task = {task: _numel(model.task_parameters(task)) for task in model.tasks}
    return {"shared": total - sum(per_task.values()), **per_task, "total": total}
