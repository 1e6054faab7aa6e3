"""Optimisers and learning-rate schedules, chosen by name.

Schedules are per step: ``lr(step) = base * factor(step)`` with a linear warm-up from 0 over
``warmup_steps`` then, for ``"cosine"``, ``factor = 0.5 (1 + cos(pi * progress))`` (Loshchilov & Hutter
2017, without restarts), for ``"linear"`` a straight line to 0, for ``"constant"`` 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

from mtlkit.errors import unknown_name
from mtlkit.models.base import param_groups as model_param_groups
from mtlkit.train_config import OPTIMIZERS, SCHEDULES, TrainConfig


def param_groups(
    model: nn.Module,
    weighting: nn.Module | None,
    lr: float,
    weight_decay: float,
    optimizer: str | None = None,
) -> list[dict]:
    """Optimiser groups: the model's (:meth:`~mtlkit.models.MultiTaskModel.param_groups`), then the weighting's.

    ``optimizer`` (the recipe's optimiser name, as :func:`make_optimizer` builds it) is passed on to the model's
    ``param_groups``: a cross-stitch model picks its alphas' learning-rate multiplier by it
    (an SGD step scales with the gradient, an Adam step does not). Biases and normalisation parameters
    (1-D tensors) get no weight decay, the usual practice for AdamW/SGD; a weighting's own parameters
    (e.g. uncertainty's log-variances) never do.
    """
    groups = [dict(g) for g in model_param_groups(model, lr, optimizer)]
    split: list[dict] = []
    for group in groups:
        params = list(group.pop("params"))
        group.setdefault("lr", lr)
        decay = [p for p in params if p.ndim > 1]
        no_decay = [p for p in params if p.ndim <= 1]
        if decay:
            split.append({**group, "params": decay, "weight_decay": group.get("weight_decay", weight_decay)})
        if no_decay:
            split.append({**group, "params": no_decay, "weight_decay": 0.0})
    if weighting is not None:
        own = [p for p in weighting.parameters() if p.requires_grad]
        if own:
            split.append({"params": own, "lr": lr, "weight_decay": 0.0})
    return split


def make_optimizer(
    recipe: TrainConfig, groups: Iterable[dict], device: torch.device
) -> torch.optim.Optimizer:
    """The recipe's ``adamw`` / ``adam`` / ``sgd`` (Nesterov, momentum 0.9), its ``lr`` and
    ``weight_decay`` the defaults of ``groups`` (all checked when the recipe was made); fused kernels
    on CUDA."""
    lr, weight_decay = recipe.lr, recipe.weight_decay
    fused = True if device.type == "cuda" else None  # None: torch's default (not fused)
    groups = list(groups)
    if recipe.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=lr, weight_decay=weight_decay, fused=fused)
    if recipe.optimizer == "adam":
        # The study's Keras Adam: plain L2-free Adam; weight decay, if any, is coupled (torch Adam).
        return torch.optim.Adam(groups, lr=lr, weight_decay=weight_decay, fused=fused)
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(
            groups, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay, fused=fused
        )
    raise unknown_name("optimizer", recipe.optimizer, OPTIMIZERS)


def schedule_factor(name: str, step: int, total_steps: int, warmup_steps: int = 0) -> float:
    """The multiplier of the base learning rate at ``step`` (0-based) of ``total_steps``."""
    if warmup_steps > 0 and step < warmup_steps:
        return (step + 1) / warmup_steps
    if name == "constant":
        return 1.0
    span = max(total_steps - warmup_steps, 1)
    progress = min(max(step - warmup_steps, 0) / span, 1.0)
    if name == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    if name == "linear":
        return 1.0 - progress
    raise unknown_name("schedule", name, SCHEDULES)


def make_scheduler(
    name: str, optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int = 0
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step ``LambdaLR`` following :func:`schedule_factor` (validated up front)."""
    if name not in SCHEDULES:
        raise unknown_name("schedule", name, SCHEDULES)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: schedule_factor(name, step, total_steps, warmup_steps)
    )
