"""Homoscedastic uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018, "Multi-Task Learning Using
Uncertainty to Weigh Losses for Scene Geometry and Semantics").

Each task has a learnable ``s_i = log sigma_i^2`` (initialised to 0, i.e. sigma = 1) and

    total = sum_i 0.5 * exp(-s_i) * L_i + 0.5 * s_i.

This is the paper's *regression* form, ``L / (2 sigma^2) + log sigma``, used for every task as most
implementations do (e.g. LibMTL). For a fixed ``L_i`` the total is minimised at ``s_i = log L_i``
(``d total / d s_i = 0.5 - 0.5 exp(-s_i) L_i``), where the task's effective weight is
``0.5 exp(-s_i) = 1 / (2 L_i)`` and it contributes ``0.5 + 0.5 log L_i``: **negative once
``L_i < 1/e``**, so the total can go below zero and is no loss value to compare across runs; compare the
task losses instead. The paper's classification approximation, ``L / sigma^2 + log sigma``
(``exp(-s) L + 0.5 s``), has its optimum at ``s_i = log(2 L_i)`` with the same effective weight
``exp(-s_i) = 1 / (2 L_i)``; what differs is the optimal ``s`` (by ``log 2``), the weight for a given
``s`` (twice as large: ``exp(-s)`` instead of ``0.5 exp(-s)``, so the same initial ``s = 0`` starts at
weight 1 instead of 0.5) and hence the training dynamics (the gradient with respect to ``s`` is
``0.5 - exp(-s) L`` instead of ``0.5 - 0.5 exp(-s) L``). The reported weight of task i is its
effective multiplier ``0.5 * exp(-s_i)``. The trainer optimises ``s`` (no weight decay).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn

from mtlkit.weighting.base import Weighting


class Uncertainty(Weighting):
    """Learned task weights ``0.5 * exp(-s_i)`` with the regulariser ``0.5 * s_i``."""

    def __init__(self, tasks: Mapping[str, int] | Sequence[str], init: float = 0.0) -> None:
        super().__init__(tasks)
        self.log_vars = nn.Parameter(torch.full((len(self.tasks),), float(init)))

    def forward(self, losses: Mapping[str, Tensor]) -> Tensor:
        stacked = self.stack(losses)
        s = self.log_vars.float()
        return (0.5 * torch.exp(-s) * stacked + 0.5 * s).sum()

    @property
    def weights(self) -> dict[str, float]:
        values = (0.5 * torch.exp(-self.log_vars.detach().float())).tolist()
        return dict(zip(self.tasks, values, strict=True))
