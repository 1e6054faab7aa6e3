"""Checkpoints that make an interrupted run resumable with identical results.

``last.pt`` holds everything the loop needs to continue after epoch ``e``: model, optimiser, scheduler
and weighting states, the history so far and the best weights. Random streams need no saving: every
epoch reseeds from ``(seed, epoch)`` (shuffle, augmentation and dropout), so epoch ``e + 1`` draws the
same numbers whether or not the process was restarted in between. Writes are atomic, so a run killed
mid-save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from mtlkit._io import save_torch
from mtlkit.errors import UserError

LAST = "last.pt"
BEST = "best.pt"


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The plain module behind ``torch.compile`` and DDP wrappers (whose state-dict keys differ)."""
    model = getattr(model, "_orig_mod", model)
    return (
        getattr(model, "module", model)
        if isinstance(model, torch.nn.parallel.DistributedDataParallel)
        else model
    )


def cpu_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached CPU copy of a module's state dict (a snapshot later steps cannot change)."""
    return {k: v.detach().to("cpu", copy=True) for k, v in unwrap(module).state_dict().items()}


def save_last(directory: str | os.PathLike, state: dict[str, Any]) -> Path:
    return save_torch(Path(directory) / LAST, state)


def save_best(
    directory: str | os.PathLike, model_state: dict[str, torch.Tensor], meta: dict[str, Any]
) -> Path:
    return save_torch(Path(directory) / BEST, {"model": model_state, **meta})


def load_last(directory: str | os.PathLike) -> dict[str, Any] | None:
    """The saved training state, or None when there is none yet (a fresh start)."""
    path = Path(directory) / LAST
    if not path.exists():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # a truncated or foreign file: say what to do rather than crash
        raise UserError(f"cannot read checkpoint {path} ({err}); delete it to start this run afresh") from err
