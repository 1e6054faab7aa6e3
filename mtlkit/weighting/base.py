"""The loss-weighting interface (see docs/design.md, "Weighting").

A :class:`Weighting` turns the per-task losses of one step into the total that is back-propagated:
``total = weighting(losses)``. Loss-weighting methods (Static, Equal, Uncertainty, DWA) only define the
total, so they combine with anything, plain DDP included. Gradient methods (GradNorm, PCGrad) override
:meth:`Weighting.backward`: they need the gradient of each task separately on the shared parameters (one
backward per task) and write ``.grad`` themselves, so they do not combine with plain DDP (whose
all-reduce hooks fire on every backward) nor with a fp16 ``GradScaler`` (use bf16 autocast).
A weighting that needs something of the model (GradNorm: shared parameters) says so in
:meth:`Weighting.check_model`, which runs before any training.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import torch
from torch import Tensor, nn

from mtlkit.errors import UserError


def task_names(tasks: Mapping[str, int] | Iterable[str]) -> tuple[str, ...]:
    """Task names from a ``{task: num_classes}`` dict or a list of names, validated."""
    names = tuple(tasks)
    if not names or len(set(names)) != len(names) or not all(isinstance(t, str) for t in names):
        raise UserError(f"a weighting needs a non-empty list of distinct task names, got {names!r}")
    return names


class Weighting(nn.Module):
    """Base class: ``forward(losses) -> total``, ``weights``, ``epoch_end``, ``backward``, ``check_model``."""

    def __init__(self, tasks: Mapping[str, int] | Sequence[str]) -> None:
        super().__init__()
        self.tasks = task_names(tasks)

    def stack(self, losses: Mapping[str, Tensor]) -> Tensor:
        """The losses as a float32 vector in ``self.tasks`` order (float32 also under bf16 autocast)."""
        if set(losses) != set(self.tasks):
            raise UserError(f"got losses for tasks {sorted(losses)}, expected {sorted(self.tasks)}")
        return torch.stack([losses[t].float().reshape(()) for t in self.tasks])

    def weighted_sum(self, losses: Mapping[str, Tensor], weights: Tensor) -> Tensor:
        """``sum_t w_t L_t`` for a weight vector in ``self.tasks`` order (moved to the losses' device)."""
        stacked = self.stack(losses)
        return (weights.to(stacked) * stacked).sum()

    def per_task(self, values: Tensor) -> dict[str, float]:
        """A vector in ``self.tasks`` order as ``{task: float}`` (for ``weights``)."""
        return dict(zip(self.tasks, values.tolist(), strict=True))

    def forward(self, losses: Mapping[str, Tensor]) -> Tensor:
        """The total loss of one step."""
        raise NotImplementedError

    @property
    def weights(self) -> dict[str, float]:
        """The current weight of each task (reported every step)."""
        raise NotImplementedError

    def epoch_end(self, mean_losses: Mapping[str, float]) -> None:
        """Called by the trainer with each task's epoch-mean training loss; no-op by default."""

    def check_model(self, model: nn.Module) -> None:
        """Raise a :class:`UserError` if this weighting cannot train ``model``; no-op by default.

        Called before training (also on a model built on the meta device), so a bad combination fails
        before any data is loaded or any file written rather than at the first step.
        """

    def backward(self, losses: Mapping[str, Tensor], shared_parameters: Sequence[nn.Parameter]) -> Tensor:
        """Back-propagate the total loss into ``.grad``; return it detached."""
        total = self(losses)
        total.backward()
        return total.detach()

    def extra_repr(self) -> str:
        return f"tasks={list(self.tasks)}"
