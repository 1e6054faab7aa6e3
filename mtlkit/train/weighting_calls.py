"""How the trainer calls a weighting: the :class:`~mtlkit.weighting.Weighting` interface, with
fallbacks for a plain ``torch.nn.Module``.

The interface (docs/design.md, "Weighting"): ``weighting(losses) -> total``, a ``weights`` property
(``{task: float}``), ``epoch_end(mean_losses)`` and ``backward(losses, shared_parameters)`` whose
default is ``self(losses).backward()``. Subclassing ``Weighting`` gives all four. A plain
``nn.Module`` whose ``forward(losses)`` returns the total also trains: ``backward`` falls back to that
default, ``epoch_end`` to nothing and ``weights`` to ``{}`` (nothing reported). Anything else is
refused with one :class:`~mtlkit.errors.UserError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from torch import Tensor, nn

from mtlkit.errors import UserError

SUBCLASS = "subclass mtlkit.weighting.Weighting (forward(losses) -> total loss)"


def check(weighting: object) -> nn.Module:
    """``weighting`` itself if the trainer can use it, else one UserError saying what to do."""
    if not isinstance(weighting, nn.Module):
        raise UserError(f"a weighting must be a torch.nn.Module, got {type(weighting).__name__}: {SUBCLASS}")
    if type(weighting).forward is nn.Module.forward:
        raise UserError(f"weighting {type(weighting).__name__} has no forward(losses): {SUBCLASS}")
    return weighting


def check_model(weighting: nn.Module, model: nn.Module) -> None:
    """The weighting's own ``check_model(model)`` (GradNorm needs shared parameters), if it has one."""
    own = getattr(weighting, "check_model", None)
    if callable(own):
        own(model)


def total(weighting: nn.Module, losses: Mapping[str, Tensor]) -> Tensor:
    """``weighting(losses)``, checked to be the scalar total loss."""
    out = weighting(losses)
    if not isinstance(out, Tensor) or out.numel() != 1:
        shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
        raise UserError(
            f"weighting {type(weighting).__name__} returned {shape}, not the total loss: "
            f"forward(losses) must return one scalar tensor; {SUBCLASS}"
        )
    return out.reshape(())


def backward(weighting: nn.Module, losses: Mapping[str, Tensor], shared: Sequence[nn.Parameter]) -> None:
    """The weighting's own ``backward`` (GradNorm, PCGrad), else ``total(losses).backward()``."""
    own = getattr(weighting, "backward", None)
    if callable(own):
        own(losses, shared)
    else:
        total(weighting, losses).backward()


def weights(weighting: nn.Module) -> dict[str, float]:
    """The task weights in use, ``{}`` when the weighting does not report them."""
    reported = getattr(weighting, "weights", None)
    if not isinstance(reported, Mapping):  # absent, or e.g. a Parameter that happens to be named so
        return {}
    return {task: float(w) for task, w in reported.items()}


def epoch_end(weighting: nn.Module, mean_losses: Mapping[str, float]) -> None:
    hook = getattr(weighting, "epoch_end", None)
    if callable(hook):
        hook(mean_losses)


def has_own_backward(weighting: nn.Module) -> bool:
    """Whether ``weighting`` replaces the default backward (a per-task gradient method)."""
    from mtlkit.weighting.base import Weighting

    own = getattr(type(weighting), "backward", None)
    return own is not None and own is not Weighting.backward
