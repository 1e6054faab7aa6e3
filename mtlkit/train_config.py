"""The training recipe as one frozen value: :class:`TrainConfig`, validated once when it is made.

Every choice of *how* a model is trained (optimiser, learning rate, schedule, epochs, batch,
augmentation, precision, label smoothing, selection, checkpoint cadence, seed) lives here and only
here: :func:`mtlkit.train.fit` reads it, :class:`mtlkit.experiment.RunConfig` holds one, and the
CLI derives its training options from these fields (each field's ``metadata`` carries its help text
and how to read it from the command line). A bad value fails at construction with one
:class:`~mtlkit.errors.UserError`, before any data is loaded or file written. Change a recipe with
``dataclasses.replace(config, lr=1e-3)``: the copy is validated again.

It lives outside :mod:`mtlkit.train` (which re-exports it) and imports no torch, so the CLI and
``RunConfig`` load it without loading PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from mtlkit.errors import UserError, unknown_name

OPTIMIZERS = ("adamw", "adam", "sgd")
SCHEDULES = ("constant", "cosine", "linear")
AMP_CHOICES = ("auto", "bf16", "fp16", "off")
CRITERIA = ("mean_acc", "loss")  # validation criteria that pick the epoch (mtlkit.train.history)
_SWITCH: dict[str, str | bool] = {"auto": "auto", "on": True, "off": False}


def _seconds_or_auto(text: str) -> float | str:
    return "auto" if text == "auto" else float(text)


def _switch(text: str) -> str | bool:
    return _SWITCH.get(text, text)


def _option(default: Any, help: str, parse: Callable[[str], Any] | None = None) -> Any:
    """A field with its command-line help and parser (``parse``: text -> value; bools are flags)."""
    return field(default=default, metadata={"help": help, "parse": parse})


@dataclass(frozen=True)
class TrainConfig:
    """How to train: the recipe :func:`~mtlkit.train.fit` follows (see the module docstring)."""

    epochs: int = _option(5, "passes over the training split", int)
    batch_size: int = _option(128, "images per step", int)
    optimizer: str = _option("adamw", "adamw, adam or sgd (Nesterov, momentum 0.9)", str)
    lr: float = _option(2e-3, "peak learning rate", float)
    weight_decay: float = _option(5e-4, "weight decay (none on biases and norms)", float)
    schedule: str = _option("cosine", "constant, cosine or linear (per step)", str)
    warmup_epochs: float = _option(0.0, "linear warm-up length in epochs", float)
    label_smoothing: float = _option(0.0, "label smoothing of every task's cross-entropy", float)
    augment: bool = _option(True, "random crop + flip of training images")
    amp: str = _option(
        "auto",
        "autocast: auto (bf16 on Ampere+, fp16 + loss scaling on T4/V100, off on CPU), bf16, fp16 or off",
        str,
    )
    channels_last: str | bool = _option("auto", "NHWC memory format: auto (on for CUDA), on or off", _switch)
    compile: bool = _option(False, "torch.compile the model")
    seed: int = _option(0, "data split, initial weights, shuffles, augmentation, dropout", int)
    select: str = _option(
        "mean_acc", "validation criterion that picks the epoch to keep: mean_acc or loss", str
    )
    checkpoint_every: int = _option(
        1, "save checkpoint/last.pt after every N-th epoch and after the last", int
    )
    checkpoint_seconds: float | str = _option(
        "auto",
        "save only once S seconds passed since the previous save; auto: every due epoch on the CPU, at most ~5%% of the time on CUDA",
        _seconds_or_auto,
    )

    def __post_init__(self) -> None:
        _count("epochs", self.epochs)
        _count("batch_size", self.batch_size)
        _count("checkpoint_every", self.checkpoint_every)
        for kind, value, choices in (
            ("optimizer", self.optimizer, OPTIMIZERS),
            ("schedule", self.schedule, SCHEDULES),
            ("selection criterion", self.select, CRITERIA),
            ("amp", self.amp, AMP_CHOICES),
        ):
            if value not in choices:
                raise unknown_name(kind, value, choices)
        _number("lr", self.lr, low=0.0, strict=True)
        _number("weight_decay", self.weight_decay, low=0.0)
        _number("warmup_epochs", self.warmup_epochs, low=0.0)
        _number("label_smoothing", self.label_smoothing, low=0.0)
        if not self.label_smoothing < 1.0:
            raise UserError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.checkpoint_seconds != "auto":
            _number("checkpoint_seconds", self.checkpoint_seconds, low=0.0, auto=True)
        object.__setattr__(self, "channels_last", _channels_last(self.channels_last))
        for name in ("augment", "compile"):
            if not isinstance(getattr(self, name), bool):
                raise UserError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise UserError(f"seed must be an integer, got {self.seed!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """The config of ``to_dict``'s output; an unknown key is refused with the valid ones."""
        unknown = sorted(set(data) - set(names()))
        if unknown:
            raise UserError(f"unknown training key(s) {unknown}; valid keys: {', '.join(names())}")
        return cls(**data)


def names() -> tuple[str, ...]:
    """The field names of :class:`TrainConfig`, in order."""
    return tuple(f.name for f in fields(TrainConfig))


def _count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"{name} must be a positive integer, got {value!r}")


def _number(name: str, value: object, low: float, strict: bool = False, auto: bool = False) -> None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not is_number or value < low or (strict and value == low):  # type: ignore[operator]
        bound = f"> {low:g}" if strict else f">= {low:g}"
        expected = f"'auto' or a number {bound}" if auto else f"a number {bound}"
        raise UserError(f"{name} must be {expected}, got {value!r}")


def _channels_last(value: object) -> str | bool:
    if isinstance(value, bool):
        return value
    if value == "auto":
        return "auto"
    if isinstance(value, str) and value in _SWITCH:
        return _SWITCH[value]
    raise UserError(f"channels_last must be 'auto', 'on', 'off', True or False, got {value!r}")
