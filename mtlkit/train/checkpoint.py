"""Checkpoints that make an interrupted run resumable with identical results.

``last.pt`` holds everything the loop needs to continue after epoch ``e``: model, optimiser, scheduler
and weighting states, the history so far and the best weights. Random streams need no saving: every
epoch reseeds from ``(seed, epoch)`` (shuffle, augmentation and dropout), so epoch ``e + 1`` draws the
same numbers whether or not the process was restarted in between, and a run resumed from *any* saved
epoch ends with the same metrics. Writes are atomic, so a run killed mid-save leaves the previous
checkpoint intact.

Why not after every epoch: for ResNet-152, ``last.pt`` (weights, two Adam moments, best weights) is
about 0.9 GB, fsynced; on an H100 an epoch of the strong preset takes seconds, so saving every epoch
could double the run. :class:`Cadence` spaces the saves out (always saving the final epoch); a resume
then repeats at most the epochs since the last save.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from mtlkit._io import save_torch
from mtlkit.errors import UserError

LAST = "last.pt"
BEST = "best.pt"
AUTO_OVERHEAD = 0.05  # "auto" on CUDA: saving may take at most this share of the training time


class Cadence:
    """When to write the checkpoints: after every ``every``-th epoch, but only once ``seconds`` have
    passed since the previous save (or since training started), and always after the final epoch.

    ``seconds="auto"``: 0 on the CPU (every ``every``-th epoch: CPU epochs are long next to saving the
    small models trained there); on CUDA ``(1 - f) / f`` times the duration of the previous save with
    ``f`` = :data:`AUTO_OVERHEAD` (19x for 5%), so saving costs at most about 5% of the run however big
    the model or slow the disk, and the first due epoch is saved to measure it.
    """

    def __init__(
        self,
        every: int = 1,
        seconds: float | str = "auto",
        device_type: str = "cpu",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise UserError(f"checkpoint_every must be a positive number of epochs, got {every!r}")
        if seconds != "auto" and (
            isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0
        ):
            raise UserError(f"checkpoint_seconds must be 'auto' or a number of seconds >= 0, got {seconds!r}")
        self.every, self.clock = every, clock
        self.adaptive = seconds == "auto" and device_type == "cuda"
        self.gap = 0.0 if seconds == "auto" else float(seconds)
        self.last = clock()

    def due(self, epochs_done: int, epochs: int) -> bool:
        """Whether to save after ``epochs_done`` of ``epochs`` epochs."""
        if epochs_done >= epochs:
            return True
        return epochs_done % self.every == 0 and self.clock() - self.last >= self.gap

    @contextlib.contextmanager
    def saving(self) -> Iterator[None]:
        """``with cadence.saving(): save...``: restarts the clock (and, when adaptive, sets the gap)."""
        started = self.clock()
        yield
        self.last = self.clock()
        if self.adaptive:
            self.gap = (self.last - started) * (1 - AUTO_OVERHEAD) / AUTO_OVERHEAD


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


def remove(directory: str | os.PathLike) -> None:
    """Delete ``last.pt`` and ``best.pt`` in ``directory``, if there."""
    for name in (LAST, BEST):
        (Path(directory) / name).unlink(missing_ok=True)


def load_last(directory: str | os.PathLike) -> dict[str, Any] | None:
    """The saved training state, or None when there is none yet (a fresh start)."""
    path = Path(directory) / LAST
    if not path.exists():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # a truncated or foreign file: say what to do rather than crash
        raise UserError(f"cannot read checkpoint {path} ({err}); delete it to start this run afresh") from err
