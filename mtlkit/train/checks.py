"""``fit``'s checks of its data and batches: every user mistake fails before any work, with one clear
message (the recipe's own values are checked by :class:`~mtlkit.train.TrainConfig`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from mtlkit.errors import UserError
from mtlkit.models.base import tasks_of

if TYPE_CHECKING:
    from mtlkit.data import TaskDataset

_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def drops_last(n: int, batch_size: int) -> bool:
    """Whether ``fit`` drops the last partial batch of a split of ``n`` images: only when the split is
    larger than a batch (a smaller one trains as one partial batch, rather than not at all)."""
    return n > batch_size


def trained_per_epoch(n: int, batch_size: int) -> int:
    """Images ``fit`` trains on per epoch (one process) from a split of ``n`` images."""
    return sum(batch_sizes(n, batch_size, drops_last(n, batch_size)))


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


def check_batches(
    model: nn.Module, sizes: list[int], batch_size: int, world_size: int, image_shape: tuple[int, ...]
) -> None:
    """Refuse a run that trains on no batch, or feeds a batch of one image to a BatchNorm layer that then
    sees one value per channel (a 1x1 feature map, or a BatchNorm1d on features): batch statistics
    need more than one value, and PyTorch would fail mid-epoch."""
    per = "" if world_size == 1 else f" per process ({world_size} processes)"
    if not sizes:
        raise UserError(f"batch_size {batch_size} leaves no training batch{per}: use a larger batch_size")
    if min(sizes) < 2 and (names := single_value_batch_norms(model, image_shape)):
        raise UserError(
            f"batch_size {batch_size} gives a training batch of 1 image{per}, and the model's BatchNorm "
            f"layer(s) {', '.join(names[:3])} would see one value per channel: use a batch_size (and a "
            f"training set) of at least {2 * world_size} images"
        )


def single_value_batch_norms(model: nn.Module, image_shape: tuple[int, ...]) -> list[str]:
    """The BatchNorm layers that see one value per channel for a batch of one image, found with one
    forward pass in eval mode (no running statistics change) on a blank image."""
    norms: dict[nn.Module, str] = {
        m: name for name, m in model.named_modules() if isinstance(m, _BATCH_NORMS)
    }
    if not norms:
        return []
    seen: list[str] = []

    def record(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        x = inputs[0]
        if x.numel() // x.shape[1] == 1:  # one image: values per channel = spatial size
            seen.append(norms[module])

    hooks = [m.register_forward_pre_hook(record) for m in norms]
    was_training = model.training
    first = next(model.parameters(), None)
    blank = torch.zeros(1, *image_shape, device=first.device if first is not None else "cpu")
    try:
        with torch.no_grad():
            model.eval()(blank)
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return seen


def check_data(
    model: nn.Module,
    train: TaskDataset,
    val: TaskDataset | None,
    resume: bool,
    checkpoint_dir: str | Path | None,
) -> None:
    """What ``fit`` checks beyond its :class:`~mtlkit.train.TrainConfig` (validated when made): the
    splits have the model's tasks, the training set is not empty, a resume has a folder to resume from."""
    if resume and checkpoint_dir is None:
        raise UserError("resume=True needs a checkpoint_dir to resume from")
    for split, data in (("train", train), ("val", val)):
        if data is None:
            continue
        missing = [t for t in tasks_of(model) if t not in data.labels]
        if missing:
            raise UserError(
                f"the {split} data has no labels for task(s) {missing}; it has {list(data.labels)}"
            )
    if len(train) == 0:
        raise UserError("the training set is empty")
