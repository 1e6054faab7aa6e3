"""``load(name, split)``: the one entry point to the datasets, their splits and normalisation statistics."""

from __future__ import annotations

import os
import textwrap
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from mtlkit.data.dataset import Pool, TaskDataset
from mtlkit.data.split import check_fraction, stratified_split
from mtlkit.errors import UserError, unknown_name
from mtlkit.registry import Registry

if TYPE_CHECKING:
    from mtlkit.data.sources import Source

SPLITS = ("train", "val", "test")

DATASETS = Registry("dataset", given=("root", "download"))  # name -> builder of its Source
DATASETS.add("cifar10", "mtlkit.data.sources:cifar10")
DATASETS.add("cifar100", "mtlkit.data.sources:cifar100")
DATASETS.add("shapes", "mtlkit.data.sources:shapes")


def names() -> list[str]:
    """The dataset names ``load`` accepts."""
    return DATASETS.names()


def default_root() -> Path:
    """Where CIFAR lives by default: ``$MTLKIT_DATA`` if set, else ``~/.cache/mtlkit``."""
    return Path(os.environ.get("MTLKIT_DATA") or Path.home() / ".cache" / "mtlkit").expanduser()


def load(
    name: str,
    split: str = "train",
    root: str | os.PathLike | None = None,
    download: bool = False,
    val_fraction: float = 0.1,
    seed: int = 0,
    **options: Any,
) -> TaskDataset:
    """Load one split of dataset ``name`` (see ``names()``).

    ``val`` is a stratified (by fine class) hold-out of ``val_fraction`` of the official train split,
    fixed by ``seed``; ``train`` is the rest; ``test`` is the official test split (final reports only).
    ``mean``/``std`` are those of the ``train`` split, whatever split is loaded.

    CIFAR is read from ``root`` (default ``default_root()``), fetched there when ``download=True``.
    ``options`` are the dataset's own (its builder's in ``mtlkit.data.sources``; CIFAR has none).
    ``shapes`` is generated (no files); its option ``size`` overrides the size of its official splits (train pool
    11,000, test 2,000): ``load("shapes", split, size=1200)`` gives a 1,200-image train pool (train + val)
    or test split, normalised with the statistics of the 1,200-image train pool: a tiny smoke run.
    """
    make_source = DATASETS.check(name, options)
    if split not in SPLITS:
        raise unknown_name("split", split, SPLITS)
    check_fraction(val_fraction)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise UserError(f"seed must be an integer, got {seed!r}")
    source = make_source(root, download, **options)

    train_pool = _pool(source, "train")  # with size=, stats come from a train pool of that size
    train_idx, val_idx = stratified_split(train_pool.labels["fine"], val_fraction, seed)
    if split == "test":
        pool, index = _pool(source, "test"), None
    else:
        pool, index = train_pool, train_idx if split == "train" else val_idx
    mean, std = _train_stats(source, val_fraction, seed)
    images = pool.images if index is None else pool.images[index]
    labels = {task: (y if index is None else y[index]).clone() for task, y in pool.labels.items()}
    return TaskDataset(
        name=name,
        split=split,
        images=images.clone() if index is None else images,  # never hand out the cached tensor itself
        labels=labels,
        tasks={task: len(names_) for task, names_ in pool.class_names.items()},
        class_names={task: list(names_) for task, names_ in pool.class_names.items()},
        coarse_of_fine=pool.coarse_of_fine.clone(),
        mean=mean,
        std=std,
    )


@lru_cache(maxsize=4)
def _pool(source: Source, part: str) -> Pool:
    """Read (CIFAR) or generate (shapes) an official split once per process."""
    return source.read(part)


@lru_cache(maxsize=16)
def _train_stats(
    source: Source, val_fraction: float, seed: int
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Per-channel mean and std (in [0, 1] units) of the train split, exact, from pixel histograms."""
    pool = _pool(source, "train")
    train_idx, _ = stratified_split(pool.labels["fine"], val_fraction, seed)
    return channel_stats(pool.images[train_idx])


def channel_stats(images: torch.Tensor) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Mean and std over all pixels of each channel of uint8 ``images [N, C, H, W]``, in [0, 1] units.

    A 256-bin histogram per channel gives both exactly, without a float copy of the images.
    """
    values = torch.arange(256, dtype=torch.float64) / 255
    means, stds = [], []
    for c in range(images.shape[1]):
        hist = torch.bincount(images[:, c].reshape(-1).long(), minlength=256).double()
        p = hist / hist.sum()
        mean = float((p * values).sum())
        means.append(mean)
        stds.append(float((p * (values - mean) ** 2).sum().sqrt()))
    return tuple(means), tuple(stds)  # type: ignore[return-value]


def describe(ds: TaskDataset) -> str:
    """A short text summary: size, tasks and the number of images of each class (for ``mtlkit data``)."""
    shape = "x".join(str(s) for s in ds.images.shape[1:])
    lines = [
        f"{ds.name} {ds.split}: {len(ds)} images ({shape} uint8)",
        "  mean " + ", ".join(f"{m:.4f}" for m in ds.mean) + "; std " + ", ".join(f"{s:.4f}" for s in ds.std),
    ]
    for task, k in ds.tasks.items():
        counts = torch.bincount(ds.labels[task].cpu(), minlength=k).tolist()
        lines.append(f"  task {task}: {k} classes")
        entries = [f"{n}={c}" for n, c in zip(ds.class_names[task], counts, strict=True)]
        lines.extend(
            textwrap.wrap(" ".join(entries), width=100, initial_indent="    ", subsequent_indent="    ")
        )
    return "\n".join(lines)
