"""Equal weighting: ``total = sum_i L_i`` (every weight 1; the sum, not the mean, so the scale matches
DWA's and GradNorm's weights, which also sum to the number of tasks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from torch import Tensor

from mtlkit.weighting.base import Weighting


class Equal(Weighting):
    """Every task with weight 1."""

    def __init__(self, tasks: Mapping[str, int] | Sequence[str]) -> None:
        super().__init__(tasks)

    def forward(self, losses: Mapping[str, Tensor]) -> Tensor:
        return self.stack(losses).sum()

    @property
    def weights(self) -> dict[str, float]:
        return dict.fromkeys(self.tasks, 1.0)
