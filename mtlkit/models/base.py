"""The common protocol of mtlkit's multi-task models (see docs/design.md, "Models").

Every model maps an image batch to ``dict[task, logits]`` and knows two things about its parameters:

- :meth:`MultiTaskModel.shared_parameters` — those every task's loss reaches (its gradient flows there):
  where the gradient methods (GradNorm, PCGrad) compare the tasks' gradients;
- :meth:`MultiTaskModel.task_parameters` — those that belong to one task (its head; its whole column in
  soft sharing and cross-stitch): what :func:`mtlkit.models.count_parameters` counts for the task.

The two differ for cross-stitch, whose columns belong to their tasks although every task's gradient
reaches them through the mixing units. What the trainer asks of a model has a default here:
:meth:`~MultiTaskModel.regularizer` (zero: nothing added to the loss), :meth:`~MultiTaskModel.param_groups`
(one optimiser group) and :meth:`~MultiTaskModel.shared_parameters` (none). A plain ``nn.Module`` with a
``tasks`` dict also trains: :func:`shared_parameters`, :func:`regularizer` and :func:`param_groups` give it
those defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import Tensor, nn

from mtlkit.errors import UserError

if TYPE_CHECKING:
    from mtlkit.backbones.base import Backbone

# Keys that results put next to the task names: count_parameters' "shared" and "total", evaluate's
# "coarse_from_fine"; a task of that name would be overwritten by them.
RESERVED_TASK_NAMES = ("shared", "total", "coarse_from_fine")


def check_tasks(tasks: Mapping[str, int]) -> dict[str, int]:
    """Validate ``{task: num_classes}`` and return it as a plain dict."""
    if not isinstance(tasks, Mapping) or not tasks:
        raise UserError(f"tasks must be a non-empty dict task -> number of classes, got {tasks!r}")
    for task, k in tasks.items():
        if not isinstance(task, str) or not task or "." in task:
            raise UserError(f"task names must be non-empty strings without '.', got {task!r}")
        if task in RESERVED_TASK_NAMES:
            raise UserError(
                f"task name {task!r} is reserved (results use {', '.join(RESERVED_TASK_NAMES)} as keys): "
                "rename the task"
            )
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise UserError(f"task {task!r} needs a positive integer number of classes, got {k!r}")
    return dict(tasks)


def check_backbone(backbone: nn.Module, needs_stages: bool = False) -> Backbone:
    """``backbone``, typed as the mtlkit backbone contract (:class:`~mtlkit.backbones.base.Backbone`)
    once checked to have its attributes; a clear message when it does not."""
    needed = ("num_features", "stages", "stage_dims", "pool") if needs_stages else ("num_features",)
    if missing := [name for name in needed if not hasattr(backbone, name)]:
        raise UserError(
            f"backbone {type(backbone).__name__} lacks {missing}: use mtlkit.backbones.create(name) "
            "or a module with num_features, stages, stage_dims and pool"
        )
    return cast("Backbone", backbone)


def unique(parameters: Iterable[nn.Parameter]) -> list[nn.Parameter]:
    """Parameters in order, each once (a module reachable twice yields its parameters once)."""
    return list({id(p): p for p in parameters}.values())


class MultiTaskModel(nn.Module):
    """Base class: ``tasks``, ``forward -> dict[task, logits]``, shared / per-task parameter lists, and
    the trainer's hooks with their defaults: ``regularizer()`` and ``param_groups(lr, optimizer)``."""

    tasks: dict[str, int]

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        raise NotImplementedError

    def shared_parameters(self) -> list[nn.Parameter]:
        """Parameters every task's loss reaches, in forward order (the last ones: the last shared layer);
        none by default (what GradNorm and PCGrad work on)."""
        return []

    def task_parameters(self, task: str) -> list[nn.Parameter]:
        """Parameters that belong to ``task`` alone (counted for it; disjoint across tasks)."""
        raise NotImplementedError(f"{type(self).__name__} does not say which parameters belong to {task!r}")

    def regularizer(self) -> Tensor:
        """A penalty the trainer adds to the total loss (soft sharing's coupling); zero by default."""
        return torch.zeros(())

    def param_groups(self, lr: float, optimizer: str | None = None) -> list[dict[str, Any]]:
        """Optimiser groups at base rate ``lr``; ``optimizer`` is the optimiser's name (``"adamw"``,
        ``"adam"``, ``"sgd"``) for a model whose groups depend on it (cross-stitch). One group by default."""
        return one_group(self, lr)

    def extra_repr(self) -> str:
        return f"tasks={self.tasks}"


def tasks_of(model: nn.Module) -> dict[str, int]:
    """``model.tasks`` (``{task: number of classes}``): a MultiTaskModel's, or a plain module's own."""
    tasks = model.tasks if isinstance(model, MultiTaskModel) else getattr(model, "tasks", None)
    if not isinstance(tasks, Mapping):
        raise UserError(
            f"model {type(model).__name__} has no tasks dict: set self.tasks = {{task: number of classes}} "
            "or subclass mtlkit.models.MultiTaskModel"
        )
    return dict(tasks)


def one_group(model: nn.Module, lr: float) -> list[dict[str, Any]]:
    """Every trainable parameter of ``model`` in one optimiser group at ``lr``."""
    return [{"params": [p for p in model.parameters() if p.requires_grad], "lr": lr}]


def shared_parameters(model: nn.Module) -> list[nn.Parameter]:
    """``model.shared_parameters()``; a plain module (not a :class:`MultiTaskModel`) declares none."""
    return model.shared_parameters() if isinstance(model, MultiTaskModel) else []


def regularizer(model: nn.Module) -> Tensor:
    """``model.regularizer()``; zero for a plain module."""
    return model.regularizer() if isinstance(model, MultiTaskModel) else torch.zeros(())


def param_groups(model: nn.Module, lr: float, optimizer: str | None = None) -> list[dict[str, Any]]:
    """``model.param_groups(lr, optimizer)``; one group for a plain module."""
    return model.param_groups(lr, optimizer) if isinstance(model, MultiTaskModel) else one_group(model, lr)
