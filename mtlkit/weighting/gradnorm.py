"""GradNorm (Chen, Badrinarayanan, Lee & Rabinovich, ICML 2018, "GradNorm: Gradient Normalization for
Adaptive Loss Balancing in Deep Multitask Networks").

The total is ``sum_i w_i L_i``. After each backward the weights move to equalise the tasks' gradient
norms at the last shared layer W, scaled by how far behind each task is:

    G_i = ||grad_W (w_i L_i)|| = w_i g_i,   r_i = (L_i / L_i(0)) / mean_j (L_j / L_j(0)),
    L_grad = sum_i | G_i - mean_j(G_j) * r_i^alpha |   (the target held constant, as in the paper),

then ``w`` takes one Adam step (lr 0.025 by default) on ``dL_grad/dw_i = sign(G_i - target_i) g_i``, is
floored at a small positive value and renormalised to sum to K (the number of tasks). ``alpha = 1.5``
(the paper's value for most of its experiments); larger alpha restores balance more strongly.

W is the last shared parameter with at least 2 dimensions (the weight of the last shared conv/linear
layer; for cross-stitch: the last unit's alphas), or the last shared parameter when none has. The
weights and the Adam state are buffers, the step count a Python integer in the extra state (all
checkpointed with ``state_dict()``), updated here rather than by the trainer's optimiser; nothing is
read back from the device, so a step never waits for the host. Cost: one partial backward per task (from the losses down to W) plus the
full one; it writes ``.grad`` itself, so it does not combine with plain DDP or an fp16 GradScaler; the
computations are float32 also under bf16 autocast. A model with no shared parameters (soft sharing,
single task) has no layer to balance: :meth:`GradNorm.check_model` (before training) and the first
backward raise a UserError.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn

from mtlkit.errors import UserError
from mtlkit.models.base import shared_parameters
from mtlkit.weighting.base import Weighting
from mtlkit.weighting.gradients import task_gradients

_BETAS, _EPS, _FLOOR = (0.9, 0.999), 1e-8, 1e-3


def weight_gradient(
    weights: Tensor, norms: Tensor, losses: Tensor, initial_losses: Tensor, alpha: float
) -> Tensor:
    """``dL_grad / dw_i = sign(G_i - target_i) * g_i`` with ``G_i = w_i g_i`` and the target held constant.

    ``norms``: ``g_i = ||grad_W L_i||``; the target is ``mean_j(G_j) * r_i^alpha`` with the relative
    inverse training rate ``r_i = (L_i / L_i(0)) / mean_j (L_j / L_j(0))``.
    """
    scaled = weights * norms  # G_i
    ratios = losses / initial_losses
    target = scaled.mean() * (ratios / ratios.mean()) ** alpha
    return torch.sign(scaled - target) * norms


def last_shared_layer(shared_parameters: Sequence[nn.Parameter]) -> nn.Parameter:
    """The last shared parameter with >= 2 dims (a layer's weight), else the last one."""
    trainable = [p for p in shared_parameters if p.requires_grad]
    if not trainable:
        raise UserError(
            "gradnorm needs parameters shared by every task (hard sharing or cross-stitch); this model has "
            "none (soft sharing or single task): use equal, static, uncertainty or dwa instead"
        )
    matrices = [p for p in trainable if p.ndim >= 2]
    return (matrices or trainable)[-1]


class GradNorm(Weighting):
    """Weights that balance the gradient norms at the last shared layer; they sum to K."""

    gradient_method = True
    _weights: Tensor  # buffers (declared for the type checker)
    initial_losses: Tensor
    _adam_m: Tensor
    _adam_v: Tensor

    def __init__(
        self, tasks: Mapping[str, int] | Sequence[str], alpha: float = 1.5, lr: float = 0.025
    ) -> None:
        super().__init__(tasks)
        if not (math.isfinite(alpha) and alpha >= 0 and math.isfinite(lr) and lr > 0):
            raise UserError(f"gradnorm needs alpha >= 0 and lr > 0, got alpha={alpha}, lr={lr}")
        self.alpha, self.lr = float(alpha), float(lr)
        k = len(self.tasks)
        self.register_buffer("_weights", torch.ones(k))
        self.register_buffer("initial_losses", torch.zeros(k))
        self._steps = 0  # a Python int (extra state): no device read to branch on or to bias-correct
        self.register_buffer("_adam_m", torch.zeros(k))
        self.register_buffer("_adam_v", torch.zeros(k))

    def forward(self, losses: Mapping[str, Tensor]) -> Tensor:
        return self.weighted_sum(losses, self._weights)

    @property
    def weights(self) -> dict[str, float]:
        return self.per_task(self._weights)

    @property
    def steps(self) -> int:
        """Weight updates done so far."""
        return self._steps

    def get_extra_state(self) -> dict[str, int]:
        return {"steps": self._steps}

    def set_extra_state(self, state: dict[str, int]) -> None:
        self._steps = int(state["steps"])

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # checkpoints written before 2026-12-02 kept the step count as a tensor buffer named "steps"
        if prefix + "steps" in state_dict and prefix + "_extra_state" not in state_dict:
            state_dict[prefix + "_extra_state"] = {"steps": int(state_dict.pop(prefix + "steps"))}
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def check_model(self, model: nn.Module) -> None:
        """A model without shared parameters (soft sharing, single task) has no layer to balance."""
        last_shared_layer(shared_parameters(model))

    def backward(self, losses: Mapping[str, Tensor], shared_parameters: Sequence[nn.Parameter]) -> Tensor:
        layer = last_shared_layer(shared_parameters)
        stacked = self.stack(losses)
        self.to(stacked.device)
        if self._steps == 0:
            self.initial_losses.copy_(stacked.detach().clamp_min(1e-12))
        norms = task_gradients(stacked, [layer]).norm(dim=1)  # g_i = ||grad_W L_i||
        total = (self._weights * stacked).sum()
        total.backward()
        self._update(norms, stacked.detach())
        return total.detach()

    @torch.no_grad()
    def _update(self, norms: Tensor, losses: Tensor) -> None:
        """One Adam step of ``w`` on L_grad, then floor and renormalise to sum to K."""
        grad = weight_gradient(self._weights, norms, losses, self.initial_losses, self.alpha)
        self._steps += 1
        (b1, b2), t = _BETAS, self._steps
        self._adam_m.mul_(b1).add_((1 - b1) * grad)
        self._adam_v.mul_(b2).add_((1 - b2) * grad * grad)
        step = (self._adam_m / (1 - b1**t)) / ((self._adam_v / (1 - b2**t)).sqrt() + _EPS)
        weights = (self._weights - self.lr * step).clamp_min(_FLOOR)
        self._weights.copy_(weights * len(self.tasks) / weights.sum())

    def extra_repr(self) -> str:
        return f"tasks={list(self.tasks)}, alpha={self.alpha}, lr={self.lr}"
