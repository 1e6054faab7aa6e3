"""Set up a run once: the process group, the device and precision, and the model/weighting checks.

``mtlkit train`` (and any caller of :func:`~mtlkit.train.fit` that wants to check before it writes
output) calls :func:`setup` once and passes the :class:`RunContext` to ``fit``, which then neither
joins the process group again nor repeats the checks done for the same model and weighting.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import torch
from torch import nn

from mtlkit.errors import UserError
from mtlkit.train import distributed
from mtlkit.train.device import Precision, autocast_format, resolve_device, resolve_precision

if TYPE_CHECKING:
    from mtlkit.weighting import Weighting
from mtlkit.train_config import TrainConfig


@dataclass(frozen=True)
class RunContext:
    """Where and how this process trains: its :class:`Precision` and its place in a torchrun job."""

    precision: Precision
    dist: distributed.Context = field(default_factory=distributed.Context)
    # the model and weighting already checked against this context (identity, not equality)
    checked: tuple[nn.Module, Weighting] | None = field(default=None, compare=False, repr=False)

    @property
    def device(self) -> torch.device:
        return self.precision.device

    def check(self, model: nn.Module, weighting: Weighting) -> RunContext:
        """Refuse a model/weighting pair this run cannot train (once per pair); return the context."""
        if self.checked is not None and self.checked[0] is model and self.checked[1] is weighting:
            return self
        distributed.check_weighting(weighting, self.dist)
        weighting.check_model(model)  # GradNorm needs shared parameters
        if self.precision.scaled and weighting.gradient_method:
            raise UserError(
                f"weighting {type(weighting).__name__} computes per-task gradients itself and cannot use "
                "fp16 loss scaling: use amp 'auto' (float32 on GPUs without bf16), 'bf16' or 'off'"
            )
        return replace(self, checked=(model, weighting))


def setup(
    config: TrainConfig,
    device: str | torch.device = "auto",
    *,
    model: nn.Module | None = None,
    weighting: Weighting | None = None,
) -> RunContext:
    """Join the torchrun group (if any), resolve device and precision, check ``model`` + ``weighting``.

    ``amp="auto"`` picks bf16 or fp16 by hardware (:mod:`mtlkit.train.device`); with a weighting that
    computes per-task gradients itself (GradNorm, PCGrad) an fp16-only GPU trains in float32 instead,
    as those methods write ``.grad`` outside the loss scaler.
    """
    ctx = distributed.setup(device)  # before resolving 'auto': it pins this rank's GPU
    amp = autocast_format(config.amp, resolve_device(device))
    if amp == "fp16" and config.amp == "auto" and weighting is not None and weighting.gradient_method:
        amp = "off"
    context = RunContext(resolve_precision(device, amp, config.channels_last), ctx)
    if model is not None and weighting is not None:
        context = context.check(model, weighting)
    return context
