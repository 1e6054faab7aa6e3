"""``fit``'s argument checks: every user mistake fails before any work, with one clear message."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from torch import nn

from mtlkit.errors import UserError
from mtlkit.train.history import CRITERIA

if TYPE_CHECKING:
    from mtlkit.data import TaskDataset

_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def positive_int(name: str, value: object) -> int:
    """``value`` if it is a positive int (``True`` is not a number of epochs), else a UserError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"{name} must be a positive integer, got {value!r}")
    return value


def batch_sizes(n: int, batch_size: int, drop_last: bool, world_size: int = 1) -> list[int]:
    """The smallest per-process slice of each training batch that is trained on.

    The loader yields ``n // batch_size`` full batches and, unless ``drop_last``, one of ``n % batch_size``;
    under DDP each is cut ``rank::world_size`` (the smallest slice is ``size // world_size``) and a
    batch smaller than the world is skipped (see :func:`mtlkit.train.distributed.shard`).
    """
    sizes = [batch_size] * (n // batch_size)
    if n % batch_size and not drop_last:
        sizes.append(n % batch_size)
    return [size // world_size for size in sizes if size >= world_size]


def check_batches(model: nn.Module, sizes: list[int], batch_size: int, world_size: int) -> None:
    """Refuse a run that trains on no batch, or feeds BatchNorm a batch of one image (which fails:
    batch statistics need more than one value per channel)."""
    per = "" if world_size == 1 else f" per process ({world_size} processes)"
    if not sizes:
        raise UserError(f"batch_size {batch_size} leaves no training batch{per}: use a larger batch_size")
    if min(sizes) < 2 and any(isinstance(m, _BATCH_NORMS) for m in model.modules()):
        raise UserError(
            f"batch_size {batch_size} gives a training batch of 1 image{per}, and the model's BatchNorm "
            f"layers need at least 2 in training: use a batch_size (and a training set) of at least "
            f"{2 * world_size} images"
        )


def check_arguments(
    model: nn.Module,
    train: TaskDataset,
    val: TaskDataset | None,
    epochs: int,
    batch_size: int,
    label_smoothing: float,
    select: str,
    resume: bool,
    checkpoint_dir: str | Path | None,
) -> None:
    positive_int("epochs", epochs)
    positive_int("batch_size", batch_size)
    if not 0.0 <= label_smoothing < 1.0:
        raise UserError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
    if select not in CRITERIA:
        raise UserError(f"unknown selection criterion {select!r}; choose one of: {', '.join(CRITERIA)}")
    if resume and checkpoint_dir is None:
        raise UserError("resume=True needs a checkpoint_dir to resume from")
    for split, data in (("train", train), ("val", val)):
        if data is None:
            continue
        missing = [t for t in model.tasks if t not in data.labels]
        if missing:
            raise UserError(
                f"the {split} data has no labels for task(s) {missing}; it has {list(data.labels)}"
            )
    if len(train) == 0:
        raise UserError("the training set is empty")
