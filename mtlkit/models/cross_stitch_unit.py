"""A cross-stitch unit (Misra, Shrivastava, Gupta & Hebert, CVPR 2016, "Cross-stitch Networks for
Multi-task Learning").

Given the activations ``x_1 .. x_T`` of the T task columns at the same depth, the unit returns

    x'_i = sum_j alpha_ij * x_j

with a learnable ``alpha`` of shape ``[T, T, C]``: one mixing matrix per channel (``per_channel=True``,
C = channels of a conv map ``[B, C, H, W]`` or embedding size of tokens ``[B, N, D]``) or one for all
(``[T, T, 1]``). Initialisation as in the paper: ``alpha_ii = init_self`` and
``alpha_ij = (1 - init_self) / (T - 1)``, so every row sums to 1 (0.9 / 0.1 for two tasks).
"""

from __future__ import annotations

import operator
from functools import reduce

import torch
from torch import Tensor, nn

from mtlkit.errors import UserError


def initial_alphas(num_tasks: int, channels: int, init_self: float) -> Tensor:
    """``[T, T, channels]`` with ``init_self`` on the diagonal and the rest of each row spread evenly."""
    off = (1.0 - init_self) / (num_tasks - 1) if num_tasks > 1 else 0.0
    matrix = torch.full((num_tasks, num_tasks), off)
    matrix.fill_diagonal_(init_self)
    return matrix.unsqueeze(-1).repeat(1, 1, channels)


class CrossStitchUnit(nn.Module):
    """Mixes T same-shaped activations channel-wise with a learnable ``alpha [T, T, C]``."""

    def __init__(
        self, num_tasks: int, channels: int, init_self: float = 0.9, per_channel: bool = True
    ) -> None:
        super().__init__()
        if not 0.0 <= init_self <= 1.0:
            raise UserError(f"cross-stitch init_self must be in [0, 1], got {init_self}")
        self.channels = channels if per_channel else 1
        self.alpha = nn.Parameter(initial_alphas(num_tasks, self.channels, init_self))

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        if len(xs) != self.alpha.shape[0]:
            raise ValueError(f"cross-stitch unit for {self.alpha.shape[0]} tasks got {len(xs)} inputs")
        # channels sit at dim 1 of a conv map [B, C, H, W], last of tokens [B, N, D] or features [B, D]
        shape = (1, -1, 1, 1) if xs[0].ndim == 4 else (-1,)
        alpha = self.alpha.to(xs[0].dtype)  # keep bf16 activations bf16 under autocast
        return [
            reduce(operator.add, (alpha[i, j].reshape(shape) * x for j, x in enumerate(xs)))
            for i in range(len(xs))
        ]

    @torch.no_grad()
    def set_identity(self) -> None:
        """alpha = identity: the columns stop exchanging anything (independent networks)."""
        self.alpha.copy_(initial_alphas(self.alpha.shape[0], self.alpha.shape[2], 1.0))

    def extra_repr(self) -> str:
        return f"tasks={self.alpha.shape[0]}, channels={self.channels}"
