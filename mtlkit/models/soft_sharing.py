"""Soft parameter sharing (Duong, Cohn, Bird & Cook, ACL 2015, "Low Resource Dependency Parsing:
Cross-lingual Parameter Sharing in a Neural Network Parser").

Each task has its own column (backbone + trunk + head); nothing is shared in the forward pass. The
columns' backbones are pulled together by an L2 penalty that the trainer adds to the loss:

    regularizer = coupling * sum_{a < b} sum_params ||theta_a - theta_b||^2

over every pair of task backbones (the heads differ in shape and stay free). ``coupling = 0`` gives
independent single-task networks; a very large one ties the backbones into hard sharing. With
``same_init=True`` (default) every column starts as a copy of the first, so the penalty starts at 0
and grows only as training pulls the columns apart.
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
    """One backbone per task (from ``make_backbone()``), coupled by an L2 distance penalty."""

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
        first = next(iter(self.backbones.values()))
        for backbone in self.backbones.values():
            check_backbone(backbone)
            if same_init:
                backbone.load_state_dict(first.state_dict())
        self.trunks = nn.ModuleDict()
        self.heads = nn.ModuleDict()
        for task, k in self.tasks.items():
            self.trunks[task], heads = build_heads(head, first.num_features, {task: k})
            self.heads[task] = heads[task]

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        return {
            task: self.heads[task](self.trunks[task](self.backbones[task](images))) for task in self.tasks
        }

    def regularizer(self) -> Tensor:
        """``coupling * sum over task pairs of ||theta_a - theta_b||^2`` (float32, differentiable)."""
        columns = [list(b.parameters()) for b in self.backbones.values()]
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
