"""Cross-stitch networks (Misra, Shrivastava, Gupta & Hebert, CVPR 2016, "Cross-stitch Networks for
Multi-task Learning").

One column (backbone + trunk + head) per task, cut at the backbone's ``stages``. After every stage a
:class:`CrossStitchUnit` mixes the columns: task i continues with ``sum_j alpha_ij * x_j``. The paper puts
units after pool1, pool2, pool5, fc6 and fc7, i.e. after every block including the last one before the
task-specific classifier; so here a unit follows every stage, the last one included (``skip_last=True``
leaves the final stage unmixed). Works on conv maps ``[B, C, H, W]`` (alpha per channel) and on ViT
tokens ``[B, N, D]`` (alpha per embedding dimension).

With alpha = identity the columns are independent single-task networks; a uniform alpha makes every
column see the same mixture. The paper needed a much larger learning rate for the alphas (10^2-10^3x
the network's): :meth:`CrossStitch.param_groups` gives them ``lr * alpha_lr_mult`` (default 100, for
SGD as in the paper; Adam(W) rescales steps itself, so a smaller multiplier such as 10 suits it) and no
weight decay (decay would pull every alpha towards 0, shrinking the activations).

The alphas are the only parameters the tasks share: ``shared_parameters()`` returns them (unit by unit,
in forward order), so :func:`count_parameters` counts them as shared, GradNorm balances the gradient
norms at the last unit's alphas and PCGrad operates on the alpha gradients; each column belongs to its
task.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from torch import Tensor, nn

from mtlkit.errors import UserError
from mtlkit.models.base import MultiTaskModel, check_backbone, check_tasks
from mtlkit.models.cross_stitch_unit import CrossStitchUnit
from mtlkit.models.heads import HeadSpec, build_heads


class CrossStitch(MultiTaskModel):
    """Task columns from ``make_backbone()``, linked by cross-stitch units after their stages."""

    def __init__(
        self,
        make_backbone: Callable[[], nn.Module],
        tasks: Mapping[str, int],
        init_self: float = 0.9,
        per_channel: bool = True,
        alpha_lr_mult: float = 100.0,
        head: str | HeadSpec | Mapping[str, Any] = "linear",
        skip_last: bool = False,
    ) -> None:
        super().__init__()
        self.tasks = check_tasks(tasks)
        if not (math.isfinite(alpha_lr_mult) and alpha_lr_mult > 0):
            raise UserError(f"cross-stitch alpha_lr_mult must be > 0, got {alpha_lr_mult}")
        self.alpha_lr_mult = float(alpha_lr_mult)
        self.columns = nn.ModuleDict({task: make_backbone() for task in self.tasks})
        first = next(iter(self.columns.values()))
        for column in self.columns.values():
            check_backbone(column, needs_stages=True)
        dims = list(first.stage_dims)[:-1] if skip_last else list(first.stage_dims)
        self.units = nn.ModuleList(CrossStitchUnit(len(self.tasks), d, init_self, per_channel) for d in dims)
        self.trunks, self.heads = nn.ModuleDict(), nn.ModuleDict()
        for task, k in self.tasks.items():
            self.trunks[task], heads = build_heads(head, first.num_features, {task: k})
            self.heads[task] = heads[task]

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        columns = list(self.columns.values())
        xs = [images] * len(columns)
        for depth in range(len(columns[0].stages)):
            xs = [column.stages[depth](x) for column, x in zip(columns, xs, strict=True)]
            if depth < len(self.units):
                xs = self.units[depth](xs)
        return {
            task: self.heads[task](self.trunks[task](column.pool(x)))
            for (task, column), x in zip(self.columns.items(), xs, strict=True)
        }

    def alphas(self) -> list[Tensor]:
        """The current mixing weights of each unit, ``[T, T, C]`` (detached, on the CPU) for plots."""
        return [unit.alpha.detach().cpu().clone() for unit in self.units]

    def alpha_parameters(self) -> list[nn.Parameter]:
        return [unit.alpha for unit in self.units]

    def param_groups(self, lr: float) -> list[dict[str, Any]]:
        """Optimiser groups: the columns at ``lr``, the alphas at ``lr * alpha_lr_mult`` without decay."""
        alpha_ids = {id(p) for p in self.alpha_parameters()}
        rest = [p for p in self.parameters() if id(p) not in alpha_ids]
        return [
            {"params": rest, "lr": lr, "name": "columns"},
            {
                "params": self.alpha_parameters(),
                "lr": lr * self.alpha_lr_mult,
                "weight_decay": 0.0,
                "name": "alphas",
            },
        ]

    def shared_parameters(self) -> list[nn.Parameter]:
        return self.alpha_parameters()

    def task_parameters(self, task: str) -> list[nn.Parameter]:
        modules = (self.columns[task], self.trunks[task], self.heads[task])
        return [p for module in modules for p in module.parameters()]

    def extra_repr(self) -> str:
        return f"tasks={self.tasks}, alpha_lr_mult={self.alpha_lr_mult}"
