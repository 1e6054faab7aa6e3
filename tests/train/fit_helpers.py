"""The tests' shorthand for ``fit``: the recipe's fields as keywords beside fit's own."""

from __future__ import annotations

from mtlkit.train import TrainConfig
from mtlkit.train import fit as train_fit
from mtlkit.train_config import names


def fit(model, train, val=None, **options):
    """``mtlkit.train.fit(model, train, val, TrainConfig(**recipe), **rest)``, splitting ``options``
    into TrainConfig fields (``epochs``, ``lr``...) and fit's keywords (``weighting``, ``progress``...)."""
    recipe = {k: options.pop(k) for k in list(options) if k in names()}
    return train_fit(model, train, val, TrainConfig(**recipe), **options)
