"""Dynamic Weight Average (Liu, Johns & Davison, CVPR 2019, "End-to-End Multi-Task Learning with
Attention").

    lambda_k(t) = K * exp(w_k(t-1) / T) / sum_i exp(w_i(t-1) / T),   w_k(t-1) = L_k(t-1) / L_k(t-2)

where ``L_k(t)`` is task k's mean training loss over epoch t (fed through :meth:`DWA.epoch_end`), K the
number of tasks and T a temperature (2 in the paper; larger T -> weights closer to 1). A task whose loss
fell more slowly gets more weight. ``lambda = 1`` for the first two epochs (no two past epochs to
compare). The loss history lives in buffers, so a checkpoint of ``state_dict()`` resumes exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from mtlkit.errors import UserError
from mtlkit.weighting.base import Weighting


class DWA(Weighting):
    """Weights from the ratio of the last two epoch-mean losses, softmax with temperature ``T``."""

    def __init__(self, tasks: Mapping[str, int] | Sequence[str], temperature: float = 2.0) -> None:
        super().__init__(tasks)
        if not (math.isfinite(temperature) and temperature > 0):
            raise UserError(f"DWA temperature must be > 0, got {temperature}")
        self.temperature = float(temperature)
        k = len(self.tasks)
        self.register_buffer("epochs_seen", torch.zeros((), dtype=torch.long))
        self.register_buffer("last_losses", torch.zeros(k, dtype=torch.float64))  # L(t-1)
        self.register_buffer("previous_losses", torch.zeros(k, dtype=torch.float64))  # L(t-2)
        self.register_buffer("_lambdas", torch.ones(k, dtype=torch.float64))

    epochs_seen: Tensor  # buffers (declared for the type checker)
    last_losses: Tensor
    previous_losses: Tensor
    _lambdas: Tensor

    def epoch_end(self, mean_losses: Mapping[str, float]) -> None:
        if set(mean_losses) != set(self.tasks):
            raise UserError(f"DWA got epoch losses for {sorted(mean_losses)}, expected {sorted(self.tasks)}")
        current = torch.tensor([float(mean_losses[t]) for t in self.tasks], dtype=torch.float64)
        self.previous_losses.copy_(self.last_losses)
        self.last_losses.copy_(current)
        self.epochs_seen += 1
        if self.epochs_seen >= 2:
            ratios = self.last_losses / self.previous_losses.clamp_min(1e-12)
            self._lambdas.copy_(len(self.tasks) * torch.softmax(ratios / self.temperature, dim=0))

    def forward(self, losses: Mapping[str, Tensor]) -> Tensor:
        return self.weighted_sum(losses, self._lambdas)

    @property
    def weights(self) -> dict[str, float]:
        return self.per_task(self._lambdas)

    def extra_repr(self) -> str:
        return f"tasks={list(self.tasks)}, temperature={self.temperature}"
