"""Per-task gradients on the shared parameters: the one computation the gradient methods build on.

GradNorm needs each task's gradient norm at the last shared layer, PCGrad each task's whole gradient on
the shared parameters; both get them here, one partial backward per task (``autograd.grad`` stops at
the parameters asked for, and keeps the graph for the next task and the final backward).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


def task_gradients(losses: Tensor, parameters: Sequence[nn.Parameter]) -> Tensor:
    """``[K, P]`` float32: row ``i`` is the gradient of ``losses[i]`` on ``parameters``, flattened in order.

    A parameter that a task does not reach contributes zeros to that task's row; the graph is kept, so
    the caller can still back-propagate the losses.
    """
    return torch.stack([_flat_gradient(loss, parameters) for loss in losses])


def _flat_gradient(loss: Tensor, parameters: Sequence[nn.Parameter]) -> Tensor:
    grads = torch.autograd.grad(loss, list(parameters), retain_graph=True, allow_unused=True)
    return torch.cat(
        [
            (torch.zeros_like(p) if g is None else g).float().reshape(-1)
            for p, g in zip(parameters, grads, strict=True)
        ]
    )
