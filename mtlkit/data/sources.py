"""Where each dataset's official ``train`` / ``test`` pools come from: one builder per dataset name.

A builder (registered in :data:`mtlkit.data.registry.DATASETS`) takes ``root`` and ``download`` and the
dataset's own options, and returns a hashable source whose :meth:`read` gives a pool; ``load`` caches
pools and statistics by source, so a source names everything its pools depend on (for CIFAR the files'
sizes and modification times: a replaced file is read again).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from mtlkit.data.dataset import Pool
from mtlkit.errors import UserError


@dataclass(frozen=True)
class CifarSource:
    """The official python pickles of ``name`` in ``folder`` (``files``: name, size, mtime of each)."""

    name: str
    folder: str
    files: tuple[tuple[str, int, int], ...]

    def read(self, part: str) -> Pool:
        from mtlkit.data import cifar

        return cifar.read(self.name, Path(self.folder), part)


@dataclass(frozen=True)
class ShapesSource:
    """The generated ``shapes`` pools; ``size`` overrides the size of the official splits."""

    size: int | None = None

    def read(self, part: str) -> Pool:
        from mtlkit.data import shapes

        default = shapes.TRAIN_SIZE if part == "train" else shapes.TEST_SIZE
        images, fine = shapes.generate(self.size or default, shapes.SEEDS[part])
        coarse_of_fine = torch.tensor(shapes.COARSE_OF_FINE)
        return Pool(
            images=images,
            labels={"fine": fine, "coarse": coarse_of_fine[fine]},
            class_names={"fine": list(shapes.FINE_NAMES), "coarse": list(shapes.COARSE_NAMES)},
            coarse_of_fine=coarse_of_fine,
        )


Source = CifarSource | ShapesSource


def _cifar(name: str, root: str | os.PathLike | None, download: bool) -> CifarSource:
    """The CIFAR files under ``root`` (default ``default_root()``), fetched there first when ``download``."""
    from mtlkit.data import cifar
    from mtlkit.data.registry import default_root

    folder = cifar.ensure(name, Path(root or default_root()).expanduser(), download)
    files = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir()))
    return CifarSource(name, str(folder), files)


def cifar10(root: str | os.PathLike | None = None, download: bool = False) -> CifarSource:
    """CIFAR-10: tasks ``fine`` (10 classes) and ``coarse`` (animal / vehicle)."""
    return _cifar("cifar10", root, download)


def cifar100(root: str | os.PathLike | None = None, download: bool = False) -> CifarSource:
    """CIFAR-100: tasks ``fine`` (100 classes) and ``coarse`` (the 20 superclasses)."""
    return _cifar("cifar100", root, download)


def shapes(
    root: str | os.PathLike | None = None, download: bool = False, size: int | None = None
) -> ShapesSource:
    """The synthetic ``shapes`` (no files: ``root`` and ``download`` are unused); ``size``: see ``load``."""
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 24):
        raise UserError(f"shapes size must be an integer >= 24 (two images per class), got {size!r}")
    return ShapesSource(size)
