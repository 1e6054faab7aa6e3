"""PCGrad, projecting conflicting gradients (Yu et al., NeurIPS 2020, "Gradient Surgery for Multi-Task
Learning").

On the shared parameters, each task gradient ``g_i`` is projected, in a random order of the other tasks
j, onto the normal plane of every ``g_j`` it conflicts with (the original ``g_j``, Algorithm 1):

    if g_i . g_j < 0:   g_i <- g_i - (g_i . g_j) / ||g_j||^2 * g_j
    (computed without the branch: g_i <- g_i - min(g_i . g_j, 0) / ||g_j||^2 * g_j)

and the shared gradient is ``sum_i g_i``. Non-conflicting gradients are left unchanged; task-specific
parameters get their plain gradient of ``sum_i L_i``. Cost: one backward per task plus one; it writes
``.grad`` itself, so it does not combine with plain DDP or an fp16 GradScaler (bf16 autocast is fine:
the projection is computed in float32). Parameters a task does not reach count as zero gradient. With
no shared parameters (soft sharing, single task) PCGrad *is* the plain sum: it warns once and does that.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn

from mtlkit.weighting.base import Weighting
from mtlkit.weighting.gradients import task_gradients


def project_conflicting(grads: Tensor, order: Sequence[Sequence[int]]) -> Tensor:
    """PCGrad on a ``[K, P]`` matrix of task gradients; ``order[i]``: the order i meets the others in.

    Branch-free: ``min(g_i . g_j, 0)`` is 0 for a non-conflicting pair, which then subtracts nothing,
    so no step waits for the host to read a ``dot < 0`` test.
    """
    projected = grads.clone()
    squared_norms = [(g * g).sum().clamp_min(1e-20) for g in grads]
    for i, others in enumerate(order):
        for j in others:
            dot = (projected[i] * grads[j]).sum()
            projected[i] -= dot.clamp(max=0) / squared_norms[j] * grads[j]
    return projected


class PCGrad(Weighting):
    """Gradient surgery on the shared parameters; every task weight is 1."""

    gradient_method = True

    def __init__(self, tasks: Mapping[str, int] | Sequence[str], seed: int = 0) -> None:
        super().__init__(tasks)
        self._generator = torch.Generator().manual_seed(seed)
        self._warned = False

    def forward(self, losses: Mapping[str, Tensor]) -> Tensor:
        return self.stack(losses).sum()

    def get_extra_state(self) -> dict[str, Tensor]:
        # The projection order's random stream is checkpointed, so a resumed run draws what an
        # uninterrupted one would have drawn.
        return {"generator": self._generator.get_state()}

    def set_extra_state(self, state: dict[str, Tensor]) -> None:
        self._generator.set_state(state["generator"])

    @property
    def weights(self) -> dict[str, float]:
        return dict.fromkeys(self.tasks, 1.0)

    def random_order(self) -> list[list[int]]:
        k = len(self.tasks)
        return [
            [j for j in torch.randperm(k, generator=self._generator).tolist() if j != i] for i in range(k)
        ]

    def backward(self, losses: Mapping[str, Tensor], shared_parameters: Sequence[nn.Parameter]) -> Tensor:
        shared = [p for p in shared_parameters if p.requires_grad]
        if not shared:
            self._warn_no_shared()
            return super().backward(losses, shared_parameters)
        stacked = self.stack(losses)
        grads = task_gradients(stacked, shared)
        surgery = project_conflicting(grads, self.random_order()).sum(dim=0)
        before = [p.grad for p in shared]  # what was accumulated before this call, kept aside
        for p in shared:
            p.grad = None
        total = stacked.sum()
        total.backward()  # plain gradients for the task-specific parameters; shared ones replaced below
        offset = 0
        for p, old in zip(shared, before, strict=True):
            # empty_like keeps p's memory format (channels_last on CUDA): fused optimisers need the
            # gradient's strides to equal the parameter's
            new = torch.empty_like(p).copy_(surgery[offset : offset + p.numel()].view(p.shape))
            p.grad = new if old is None else old + new
            offset += p.numel()
        return total.detach()

    def _warn_no_shared(self) -> None:
        if not self._warned:
            warnings.warn(
                "PCGrad: the model has no shared parameters (soft sharing or single task), "
                "so it reduces to the plain sum of the losses",
                stacklevel=3,
            )
            self._warned = True
