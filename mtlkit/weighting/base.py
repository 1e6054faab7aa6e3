"""The loss-weighting interface (see docs/design.md, "Weighting").

A :class:`Weighting` turns the per-task losses of one step into the total that is back-propagated:
``total = weighting(losses)``. Loss-weighting methods (Static, Equal, Uncertainty, DWA) only define the
total, so they combine with anything, plain DDP included. Gradient methods (GradNorm, PCGrad) override
:meth:`Weighting.backward`: they need the gradient of each task separately on the shared parameters (one
backward per task) and write ``.grad`` themselves, so they do not combine with plain DDP (whose
all-reduce hooks fire on every backward) nor with a fp16 ``GradScaler`` (use bf16 autocast).
A weighting that needs something of the model (GradNorm: shared parameters) says so in
:meth:`Weighting.check_model`, which runs before any training.

The trainer takes a :class:`Weighting`; :func:`as_weighting` (called once, where ``fit`` receives it)
wraps a plain ``nn.Module`` whose ``forward(losses)`` returns the total into :class:`PlainWeighting`,
and refuses anything else with one :class:`UserError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

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

    gradient_method: ClassVar[bool] = False
    """True for a method that overrides :meth:`backward` with one backward per task (GradNorm, PCGrad):
    it writes ``.grad`` itself, so it does not combine with plain DDP."""

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


SUBCLASS = "subclass mtlkit.weighting.Weighting (forward(losses) -> total loss)"


class PlainWeighting(Weighting):
    """A plain ``nn.Module`` loss combiner with the :class:`Weighting` defaults: ``backward`` is
    ``self(losses).backward()``, ``epoch_end`` does nothing and ``weights`` is ``{}`` (nothing reported).

    The module is a child (its parameters are optimised with the model's); its public Python attributes
    travel in the state dict, so a resumed run continues with them.
    """

    def __init__(self, module: nn.Module, tasks: Mapping[str, int] | Sequence[str]) -> None:
        super().__init__(tasks)
        self.module = module

    def forward(self, losses: Mapping[str, Tensor]) -> Tensor:
        out = self.module(losses)
        if not isinstance(out, Tensor) or out.numel() != 1:
            shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise UserError(
                f"weighting {type(self.module).__name__} returned {shape}, not the total loss: "
                f"forward(losses) must return one scalar tensor; {SUBCLASS}"
            )
        return out.reshape(())

    @property
    def weights(self) -> dict[str, float]:
        return {}

    def get_extra_state(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self.module).items() if not k.startswith("_") and k != "training"}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self.module, name, value)

    def extra_repr(self) -> str:
        return f"tasks={list(self.tasks)}, module={type(self.module).__name__}"


def as_weighting(weighting: object, tasks: Mapping[str, int] | Sequence[str]) -> Weighting:
    """``weighting`` as a :class:`Weighting`: itself, a plain module wrapped, else one UserError."""
    if isinstance(weighting, Weighting):
        return weighting
    if not isinstance(weighting, nn.Module):
        raise UserError(f"a weighting must be a torch.nn.Module, got {type(weighting).__name__}: {SUBCLASS}")
    if type(weighting).forward is nn.Module.forward:
        raise UserError(f"weighting {type(weighting).__name__} has no forward(losses): {SUBCLASS}")
    return PlainWeighting(weighting, tasks)
