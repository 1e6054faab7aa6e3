"""Helpers for the data tests: fake CIFAR archives in the official pickle layout, a dataset of ids."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from mtlkit.data.dataset import TaskDataset

CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def fake_images(n: int, offset: int) -> np.ndarray:
    """Rows of 3072 uint8 (R, G, B planes): image i has R = (offset + i) % 256, G = 7, B = pixel index % 256."""
    data = np.zeros((n, 3, 1024), dtype=np.uint8)
    data[:, 0] = ((offset + np.arange(n)) % 256)[:, None]
    data[:, 1] = 7
    data[:, 2] = np.arange(1024) % 256
    return data.reshape(n, 3072)


def dump(obj: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)  # the official files are Python 2 pickles with byte-string keys


def write_fake_cifar10(root: Path, per_batch: int = 20, n_test: int = 30) -> Path:
    folder = root / "cifar-10-batches-py"
    for b in range(5):
        labels = [(b * per_batch + i) % 10 for i in range(per_batch)]
        dump(
            {b"data": fake_images(per_batch, b * per_batch), b"labels": labels},
            folder / f"data_batch_{b + 1}",
        )
    test = {b"data": fake_images(n_test, 1000), b"labels": [i % 10 for i in range(n_test)]}
    dump(test, folder / "test_batch")
    dump({b"label_names": [n.encode() for n in CIFAR10_NAMES], b"num_vis": 3072}, folder / "batches.meta")
    return folder


def write_fake_cifar100(root: Path, coarse_of_fine: np.ndarray | None = None) -> Path:
    """200 train (each fine class twice) and 100 test images; coarse class of fine f is ``f % 20``."""
    folder = root / "cifar-100-python"
    cof = np.arange(100) % 20 if coarse_of_fine is None else coarse_of_fine
    for split, n in (("train", 200), ("test", 100)):
        fine = np.arange(n) % 100
        batch = {
            b"data": fake_images(n, 0),
            b"fine_labels": fine.tolist(),
            b"coarse_labels": cof[fine].tolist(),
        }
        dump(batch, folder / split)
    meta = {
        b"fine_label_names": [f"fine{i}".encode() for i in range(100)],
        b"coarse_label_names": [f"coarse{i}".encode() for i in range(20)],
    }
    dump(meta, folder / "meta")
    return folder


def id_dataset(n: int, classes: int = 4) -> TaskDataset:
    """A dataset whose image i has every pixel equal to i % 256 and label ``id`` = i."""
    images = (torch.arange(n) % 256).to(torch.uint8).view(n, 1, 1, 1).expand(n, 3, 32, 32).contiguous()
    return TaskDataset(
        name="ids",
        split="train",
        images=images,
        labels={"fine": torch.arange(n) % classes, "id": torch.arange(n)},
        tasks={"fine": classes, "id": n},
        class_names={"fine": [str(c) for c in range(classes)], "id": [str(i) for i in range(n)]},
        coarse_of_fine=torch.zeros(classes, dtype=torch.int64),
        mean=(0.5, 0.5, 0.5),
        std=(0.25, 0.25, 0.25),
    )
