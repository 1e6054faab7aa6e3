"""Training and evaluation: :func:`fit`, :func:`evaluate` and the :class:`History` they record."""

from mtlkit.train.device import Precision, resolve_device, resolve_precision
from mtlkit.train.evaluate import evaluate
from mtlkit.train.fit import fit
from mtlkit.train.history import History
from mtlkit.train.optim import OPTIMIZERS, SCHEDULES

__all__ = [
    "OPTIMIZERS",
    "SCHEDULES",
    "History",
    "Precision",
    "evaluate",
    "fit",
    "resolve_device",
    "resolve_precision",
]
