"""Cross-stitch networks (Misra, Shrivastava, Gupta & Hebert, CVPR 2016, "Cross-stitch Networks for
Multi-task Learning").

One column (backbone + trunk + head) per task, cut at the backbone's ``stages``. After every stage a
:class:`CrossStitchUnit` mixes the columns: task i continues with ``sum_j alpha_ij * x_j``. The paper puts
units after pool1, pool2, pool5, fc6 and fc7, i.e. after every block including the last one before the
task-specific classifier; so here a unit follows every stage, the last one included (``skip_last=True``
leaves the final stage unmixed). Works on conv maps ``[B, C, H, W]`` (alpha per channel) and on ViT
tokens ``[B, N, D]`` (alpha per embedding dimension).

With alpha = identity the columns are independent single-task networks; a uniform alpha makes every
column see the same mixture.

**Learning rate of the alphas.** :meth:`CrossStitch.param_groups` gives the alphas ``lr * multiplier``
and no weight decay (decay would pull every alpha towards 0, shrinking the activations). The paper
(SGD) needed 10^2-10^3x the network's rate: an SGD step is ``lr * gradient``, and relative to their
size (order 1: 0.9 / 0.1) the alpha gradients are several times smaller than a conv weight's relative
to its size (order 0.01-0.1), so at the network's rate the alphas would hardly move. Adam(W) divides
each step by the running gradient scale, so its step is about ``lr`` whatever that scale: a multiplier
of 100 on the CLI's AdamW rate 2e-3 moves every alpha by about 0.2 per step (out of [0, 1] within a
few steps). So ``alpha_lr_mult=None`` (default) picks by optimiser: 100 for ``sgd``, 10 for
``adam``/``adamw`` (and any other, adaptive, optimiser; also when none is named, AdamW being the
trainer's default); a number fixes it for every optimiser.

**Shared parameters.** Every task's loss reaches every column's stages that a unit mixes (task i's
input to the next stage contains ``alpha_ij * x_j``), so ``shared_parameters()`` returns, depth by depth
in forward order, the mixed stage of every column and then that unit's alphas (as LibMTL treats the
whole cross-stitch encoder as shared); PCGrad projects the task gradients there. The parameters after
the last unit (an unmixed last stage, the pooling, trunk and head) reach one task only. The last entry,
GradNorm's "last shared layer", is the last unit's alphas: like a shared layer's weight, task i's
gradient there is its back-propagated signal times the incoming features (of every column,
``dL_i/dalpha_ij = <dL_i/dx'_i, x_j>`` per channel), so its norm scales with ``w_i`` and measures how
hard task i pulls on the features it receives, and each task's backward for it stops at the unit (the
cheapest choice). For counting, each column still belongs to its task (:func:`count_parameters`:
the alphas are the shared part).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from torch import Tensor, nn

from mtlkit.errors import UserError
from mtlkit.models.base import MultiTaskModel, check_backbone, check_tasks
from mtlkit.models.cross_stitch_unit import CrossStitchUnit
from mtlkit.models.heads import HeadSpec, build_heads

if TYPE_CHECKING:
    from mtlkit.backbones.base import Backbone

SGD_ALPHA_LR_MULT = 100.0  # the paper's order: an SGD step scales with the (relatively small) alpha gradient
ADAPTIVE_ALPHA_LR_MULT = 10.0  # Adam(W): the step is ~lr whatever the gradient scale


class CrossStitch(MultiTaskModel):
    """Task columns from ``make_backbone()``, linked by cross-stitch units after their stages."""

    def __init__(
        self,
        make_backbone: Callable[[], nn.Module],
        tasks: Mapping[str, int],
        init_self: float = 0.9,
        per_channel: bool = True,
        alpha_lr_mult: float | None = None,
        head: str | HeadSpec | Mapping[str, Any] = "linear",
        skip_last: bool = False,
    ) -> None:
        super().__init__()
        self.tasks = check_tasks(tasks)
        if alpha_lr_mult is not None and not (math.isfinite(alpha_lr_mult) and alpha_lr_mult > 0):
            raise UserError(
                f"cross-stitch alpha_lr_mult must be > 0 (or None: by optimiser), got {alpha_lr_mult}"
            )
        self.alpha_lr_mult = None if alpha_lr_mult is None else float(alpha_lr_mult)
        self.columns = nn.ModuleDict({task: make_backbone() for task in self.tasks})
        checked = [check_backbone(column, needs_stages=True) for column in self.columns.values()]
        first = checked[0]
        dims = list(first.stage_dims)[:-1] if skip_last else list(first.stage_dims)
        self.units = nn.ModuleList(CrossStitchUnit(len(self.tasks), d, init_self, per_channel) for d in dims)
        self.trunks, self.heads = nn.ModuleDict(), nn.ModuleDict()
        for task, k in self.tasks.items():
            self.trunks[task], heads = build_heads(head, first.num_features, {task: k})
            self.heads[task] = heads[task]

    def _columns(self) -> list[Backbone]:
        return [cast("Backbone", column) for column in self.columns.values()]  # checked in __init__

    def _units(self) -> list[CrossStitchUnit]:
        return [cast(CrossStitchUnit, unit) for unit in self.units]

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        columns, units = self._columns(), self._units()
        xs = [images] * len(columns)
        for depth in range(len(columns[0].stages)):
            xs = [column.stages[depth](x) for column, x in zip(columns, xs, strict=True)]
            if depth < len(units):
                xs = units[depth](xs)
        return {
            task: self.heads[task](self.trunks[task](column.pool(x)))
            for task, column, x in zip(self.tasks, columns, xs, strict=True)
        }

    def alphas(self) -> list[Tensor]:
        """The current mixing weights of each unit, ``[T, T, C]`` (detached, on the CPU) for plots."""
        return [unit.alpha.detach().cpu().clone() for unit in self._units()]

    def alpha_parameters(self) -> list[nn.Parameter]:
        return [unit.alpha for unit in self._units()]

    def alpha_lr_multiplier(self, optimizer: str | None = None) -> float:
        """The alphas' learning-rate multiplier: ``alpha_lr_mult`` if set, else by optimiser (see above)."""
        if self.alpha_lr_mult is not None:
            return self.alpha_lr_mult
        return SGD_ALPHA_LR_MULT if optimizer == "sgd" else ADAPTIVE_ALPHA_LR_MULT

    def param_groups(self, lr: float, optimizer: str | None = None) -> list[dict[str, Any]]:
        """Optimiser groups: the columns at ``lr``, the alphas at ``lr * multiplier`` without decay.

        ``optimizer`` (``"sgd"``, ``"adam"``, ``"adamw"``) picks the default multiplier.
        """
        alpha_ids = {id(p) for p in self.alpha_parameters()}
        rest = [p for p in self.parameters() if id(p) not in alpha_ids]
        return [
            {"params": rest, "lr": lr, "name": "columns"},
            {
                "params": self.alpha_parameters(),
                "lr": lr * self.alpha_lr_multiplier(optimizer),
                "weight_decay": 0.0,
                "name": "alphas",
            },
        ]

    def shared_parameters(self) -> list[nn.Parameter]:
        """Depth by depth: every column's mixed stage, then the unit's alphas (the last unit last)."""
        columns = self._columns()
        shared: list[nn.Parameter] = []
        for depth, unit in enumerate(self._units()):
            shared += [p for column in columns for p in column.stages[depth].parameters()]
            shared.append(unit.alpha)
        return shared

    def task_parameters(self, task: str) -> list[nn.Parameter]:
        modules = (self.columns[task], self.trunks[task], self.heads[task])
        return [p for module in modules for p in module.parameters()]

    def extra_repr(self) -> str:
        mult = "by optimiser" if self.alpha_lr_mult is None else self.alpha_lr_mult
        return f"tasks={self.tasks}, alpha_lr_mult={mult}"
