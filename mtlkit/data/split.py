"""Stratified permutations and the train / val hold-out.

A *stratified permutation* orders the samples so that every prefix holds each class in (almost exactly)
its overall proportion: inside each class the samples are shuffled, and the j-th sample of a class with
``n_c`` members gets the key ``(j + u_c) / n_c`` (``u_c`` a random offset in [0, 1)); sorting by the key
interleaves the classes. A prefix of length ``k`` then holds ``k * n_c / N`` samples of class ``c`` up to
a sample or two (exactly, for equal class sizes and ``k`` a multiple of the number of classes). The validation split is such a prefix; ``TaskDataset.take(n)`` is another.
"""

from __future__ import annotations

import numpy as np
import torch

from mtlkit.errors import UserError


def stratified_permutation(labels: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """A seeded permutation of ``range(len(labels))`` whose prefixes are stratified by ``labels``."""
    y = np.asarray(labels.cpu(), dtype=np.int64)
    rng = np.random.default_rng(seed)
    keys = np.empty(len(y), dtype=np.float64)
    for c in np.unique(y):  # a loop over classes, not samples
        members = np.flatnonzero(y == c)
        shuffled = rng.permutation(members)
        keys[shuffled] = (np.arange(len(members)) + rng.random()) / len(members)
    # Ties between classes are broken by a random secondary key, so no class is always first.
    order = np.lexsort((rng.random(len(y)), keys))
    return torch.from_numpy(order)


def stratified_split(
    labels: torch.Tensor, val_fraction: float, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sorted ``(train_indices, val_indices)``: val is the first ``round(N * val_fraction)`` samples of a
    stratified permutation, train the rest. Deterministic for a given ``(labels, val_fraction, seed)``."""
    check_fraction(val_fraction)
    n = len(labels)
    n_val = held_out(n, val_fraction)
    if not 0 < n_val < n:
        raise UserError(f"val_fraction={val_fraction} leaves an empty train or val split of {n} images")
    order = stratified_permutation(labels, seed)
    return order[n_val:].sort().values, order[:n_val].sort().values


def held_out(n: int, val_fraction: float) -> int:
    """How many of ``n`` train-pool images :func:`stratified_split` holds out for validation."""
    return round(n * val_fraction)


def check_fraction(val_fraction: float) -> None:
    """Raise UserError unless ``0 < val_fraction < 1``."""
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, int | float):
        raise UserError(f"val_fraction must be a number between 0 and 1, got {val_fraction!r}")
    if not 0.0 < val_fraction < 1.0:
        raise UserError(f"val_fraction must be strictly between 0 and 1, got {val_fraction}")
