"""Soft parameter sharing (Duong, Cohn, Bird & Cook, ACL 2015, "Low Resource Dependency Parsing:
Cross-lingual Parameter Sharing in a Neural Network Parser").

Each task has its own column (backbone + trunk + head); nothing is shared in the forward pass. The
columns are pulled together by an L2 penalty that the trainer adds to the loss:

    regularizer = coupling * sum_{a < b} sum_params ||theta_a - theta_b||^2

over every pair of task columns, on the parameters hard sharing would share: the backbone and the head
trunk (the ``seed`` spec's Dense(2048); nothing for ``linear``/``mlp``). The task heads stay free, as in
hard sharing (and they differ in shape). ``coupling = 0`` gives independent single-task networks. In
the limit of a huge coupling the coupled parameters are forced equal across columns, which is hard
sharing with per-task heads; the common value then moves by the *mean* of the tasks' gradients where
hard sharing's shared parameters get their *sum* (for SGD: hard sharing with the shared parameters'
learning rate divided by T). The penalty's gradient on column a is
``2 coupling T (theta_a - mean_b theta_b)``, so a plain SGD step shrinks every column's distance to the
mean by the factor ``1 - 2 coupling T lr``: a coupling above ``1 / (T lr)`` makes SGD overshoot and
diverge rather than tie the columns, and ``1 / (2 T lr)`` ties them in one step.
With ``same_init=True`` (default) every column starts as a copy of the first (backbone and trunk), so
the penalty starts at 0 and grows only as training pulls the columns apart.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from mtlkit.errors import UserError
from mtlkit.models.base import MultiTaskModel, check_backbone, check_tasks
from mtlkit.models.heads import HeadSpec, build_heads


class SoftSharing(MultiTaskModel):
    """One column per task (backbone from ``make_backbone()``, trunk, head), coupled by an L2 penalty."""

    def __init__(
        self,
        make_backbone: Callable[[], nn.Module],
        tasks: Mapping[str, int],
        coupling: float = 1e-3,
        head: str | HeadSpec | Mapping[str, Any] = "linear",
        same_init: bool = True,
    ) -> None:
        super().__init__()
        self.tasks = check_tasks(tasks)
        if not (math.isfinite(coupling) and coupling >= 0):
            raise UserError(f"soft sharing coupling must be >= 0, got {coupling}")
        self.coupling = float(coupling)
        self.backbones = nn.ModuleDict({task: make_backbone() for task in self.tasks})
        checked = [check_backbone(backbone) for backbone in self.backbones.values()]
        first = checked[0]
        self.trunks = nn.ModuleDict()
        self.heads = nn.ModuleDict()
        for task, k in self.tasks.items():
            self.trunks[task], heads = build_heads(head, first.num_features, {task: k})
            self.heads[task] = heads[task]
        if same_init:
            first_task = next(iter(self.tasks))
            for task in self.tasks:
                self.backbones[task].load_state_dict(self.backbones[first_task].state_dict())
                self.trunks[task].load_state_dict(self.trunks[first_task].state_dict())

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        return {
            task: self.heads[task](self.trunks[task](self.backbones[task](images))) for task in self.tasks
        }

    def coupled_parameters(self, task: str) -> list[nn.Parameter]:
        """The parameters of ``task``'s column that the penalty ties: backbone, then trunk."""
        return [*self.backbones[task].parameters(), *self.trunks[task].parameters()]

    def regularizer(self) -> Tensor:
        """``coupling * sum over task pairs of ||theta_a - theta_b||^2`` (float32, differentiable)."""
        columns = [self.coupled_parameters(task) for task in self.tasks]
        device = columns[0][0].device if columns[0] else None
        total = torch.zeros((), device=device)
        for column_a, column_b in itertools.combinations(columns, 2):
            for a, b in zip(column_a, column_b, strict=True):
                total = total + (a.float() - b.float()).pow(2).sum()
        return self.coupling * total

    def shared_parameters(self) -> list[nn.Parameter]:
        return []

    def task_parameters(self, task: str) -> list[nn.Parameter]:
        modules = (self.backbones[task], self.trunks[task], self.heads[task])
        return [p for module in modules for p in module.parameters()]

    def extra_repr(self) -> str:
        return f"tasks={self.tasks}, coupling={self.coupling}"
