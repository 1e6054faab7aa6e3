"""Training and evaluation: the recipe :class:`TrainConfig`, :func:`fit`, :func:`evaluate` and the
:class:`History` they record.

    from mtlkit.train import TrainConfig, fit
    config = TrainConfig(epochs=4, batch_size=128, lr=3e-3)   # frozen, validated here
    history = fit(model, train, val, config, weighting=Static.gamma(0.5, train.tasks))
"""

from mtlkit.train.context import RunContext, setup
from mtlkit.train.device import Precision, resolve_device, resolve_precision
from mtlkit.train.evaluate import evaluate
from mtlkit.train.fit import fit
from mtlkit.train.history import History
from mtlkit.train.state import TrainState
from mtlkit.train_config import OPTIMIZERS, SCHEDULES, TrainConfig

__all__ = [
    "OPTIMIZERS",
    "SCHEDULES",
    "History",
    "Precision",
    "RunContext",
    "TrainConfig",
    "TrainState",
    "evaluate",
    "fit",
    "resolve_device",
    "resolve_precision",
    "setup",
]
