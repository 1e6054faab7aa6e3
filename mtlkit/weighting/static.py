"""Static weighting: fixed weights, ``total = sum_i w_i * L_i``.

The study's fine/coarse mix is ``gamma * L_fine + (1 - gamma) * L_coarse`` (:meth:`Static.gamma`):
``gamma = 1`` trains the fine task alone with the coarse head along for the ride, ``gamma = 0.5`` is the
equal mix. Grid-searching ``gamma`` is the baseline the adaptive methods have to beat.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from mtlkit.errors import UserError
from mtlkit.weighting.base import Weighting


class Static(Weighting):
    """Fixed non-negative weights, one per task: ``total = sum_i w_i * L_i``."""

    _weights: Tensor  # a buffer (declared for the type checker)

    def __init__(self, weights: Mapping[str, float]) -> None:
        super().__init__(list(weights))
        values = [float(weights[t]) for t in self.tasks]
        if any(not math.isfinite(w) or w < 0 for w in values) or sum(values) == 0:
            raise UserError(f"static weights must be finite, >= 0 and not all 0, got {dict(weights)}")
        self.register_buffer("_weights", torch.tensor(values), persistent=False)

    @classmethod
    def gamma(cls, gamma: float, tasks: Mapping[str, int] | Sequence[str]) -> Static:
        """``gamma * fine + (1 - gamma) * coarse`` (two tasks; without those names: first, second)."""
        names = list(tasks)
        if len(names) != 2:
            raise UserError(f"gamma weighting needs exactly two tasks, got {names}")
        if not 0.0 <= gamma <= 1.0:
            raise UserError(f"gamma must be in [0, 1], got {gamma}")
        first, second = ("fine", "coarse") if set(names) == {"fine", "coarse"} else names
        return cls({first: gamma, second: 1.0 - gamma})

    def forward(self, losses: Mapping[str, Tensor]) -> Tensor:
        return self.weighted_sum(losses, self._weights)

    @property
    def weights(self) -> dict[str, float]:
        return self.per_task(self._weights)


def static(
    tasks: Mapping[str, int] | Sequence[str],
    gamma: float | None = None,
    weights: Mapping[str, float] | None = None,
) -> Static:
    """``create("static", tasks, ...)``: weights from ``gamma`` (two tasks), explicit ``weights``, or all 1."""
    names = list(tasks)
    if gamma is not None and weights is not None:
        raise UserError("static weighting: give either gamma or weights, not both")
    if gamma is not None:
        return Static.gamma(gamma, names)
    if weights is None:
        return Static(dict.fromkeys(names, 1.0))
    if set(weights) != set(names):
        raise UserError(f"static weights are for tasks {sorted(weights)}, the model has {sorted(names)}")
    return Static(weights)
