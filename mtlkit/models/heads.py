"""Task heads: what sits between the backbone's feature vector and each task's logits.

A head *spec* says how to build them; :func:`build_heads` turns it into a (shared trunk, per-task heads)
pair. Specs are given as a name (``"linear"``, ``"mlp"``, ``"seed"``), a spec object or a dict
(``{"type": "mlp", "hidden": [256], "dropout": 0.1}``).

- :class:`LinearHead` — one ``Linear(num_features, K)`` per task, no trunk.
- :class:`MLPHead` — per task: ``hidden`` Linear + activation + dropout layers, then ``Linear(., K)``.
- :class:`SeedHead` — the study's heads: a SHARED ``Dense(2048)`` + activation + dropout on the backbone
  features, then a deep tower 1024-512-256-128-K for the fine task and 512-256-128-K for every other
  (coarse) task, each hidden layer activation + dropout. The defaults are the study's ViT notebooks'
  (GELU, ``mlp_dropout = 0.2``, in ``create_model`` of
  ``multitask-learning-vit-cifar100-classification.ipynb@3fc0421d17dd5f9afa9687ffc3a74c77c720aa43``);
  its ResNet-152 notebooks use the same widths with ReLU and a dropout that the configuration the
  ``seed`` preset follows sets to 0 (``multitask-learning-cnn-cifar100.ipynb@0ad0729``), which is
  ``SeedHead(activation="relu", dropout=0.0)``.

The trunk is shared by every task of a hard-sharing model; column models (soft sharing, cross-stitch)
build one trunk per task, inside the task's column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from torch import nn

from mtlkit.errors import UserError, unknown_name
from mtlkit.registry import Registry

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}


def _tower(in_features: int, hidden: Sequence[int], out_features: int, activation: str, dropout: float):
    """Linear + activation + dropout for each hidden size, then a final Linear to ``out_features``."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(in_features, width), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        in_features = width
    layers.append(nn.Linear(in_features, out_features))
    return nn.Sequential(*layers)


@dataclass(frozen=True)
class LinearHead:
    """One linear layer per task on the backbone features."""

    def trunk(self, num_features: int) -> tuple[nn.Module, int]:
        return nn.Identity(), num_features

    def head(self, in_features: int, task: str, num_classes: int) -> nn.Module:
        return nn.Linear(in_features, num_classes)


@dataclass(frozen=True)
class MLPHead:
    """Per task: ``hidden`` layers (activation, dropout after each), then a linear classifier."""

    hidden: tuple[int, ...] = (256,)
    dropout: float = 0.1
    activation: str = "relu"

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        _check_common(self.hidden, self.dropout, self.activation)

    def trunk(self, num_features: int) -> tuple[nn.Module, int]:
        return nn.Identity(), num_features

    def head(self, in_features: int, task: str, num_classes: int) -> nn.Module:
        return _tower(in_features, self.hidden, num_classes, self.activation, self.dropout)


@dataclass(frozen=True)
class SeedHead:
    """The study's heads: shared Dense(``shared``), then the fine tower or the coarse tower per task.

    Tasks named in ``fine_tasks`` get the ``fine`` tower; every other task gets the ``coarse`` tower.
    """

    shared: int = 2048
    fine: tuple[int, ...] = (1024, 512, 256, 128)
    coarse: tuple[int, ...] = (512, 256, 128)
    dropout: float = 0.2
    activation: str = "gelu"
    fine_tasks: tuple[str, ...] = ("fine",)

    def __post_init__(self) -> None:
        for name in ("fine", "coarse", "fine_tasks"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        _check_common((self.shared, *self.fine, *self.coarse), self.dropout, self.activation)

    def trunk(self, num_features: int) -> tuple[nn.Module, int]:
        layers: list[nn.Module] = [nn.Linear(num_features, self.shared), ACTIVATIONS[self.activation]()]
        if self.dropout > 0:
            layers.append(nn.Dropout(self.dropout))
        return nn.Sequential(*layers), self.shared

    def head(self, in_features: int, task: str, num_classes: int) -> nn.Module:
        hidden = self.fine if task in self.fine_tasks else self.coarse
        return _tower(in_features, hidden, num_classes, self.activation, self.dropout)


HeadSpec = LinearHead | MLPHead | SeedHead
HEADS = Registry("head")  # a head's options are its spec's fields
HEADS.add("linear", LinearHead)
HEADS.add("mlp", MLPHead)
HEADS.add("seed", SeedHead)


def _check_common(widths: Sequence[int], dropout: float, activation: str) -> None:
    if any(w < 1 for w in widths):
        raise UserError(f"head layer widths must be positive integers, got {tuple(widths)}")
    if not 0.0 <= dropout < 1.0:
        raise UserError(f"head dropout must be in [0, 1), got {dropout}")
    if activation not in ACTIVATIONS:
        raise unknown_name("head activation", activation, ACTIVATIONS)


def head_spec(spec: str | HeadSpec | Mapping[str, Any]) -> HeadSpec:
    """Resolve a head spec given as a name, a spec object or a dict with a ``type`` key."""
    if isinstance(spec, LinearHead | MLPHead | SeedHead):
        return spec
    if isinstance(spec, str):
        return HEADS.create(spec)
    if isinstance(spec, Mapping):
        options = dict(spec)
        kind = options.pop("type", options.pop("name", None))
        if kind not in HEADS:
            raise unknown_name("head type (the dict's 'type' key)", kind, HEADS.names())
        return HEADS.create(kind, **options)
    raise UserError(f"a head spec must be a name, a spec object or a dict, got {type(spec).__name__}")


def build_heads(
    spec: str | HeadSpec | Mapping[str, Any], num_features: int, tasks: Mapping[str, int]
) -> tuple[nn.Module, nn.ModuleDict]:
    """Build (shared trunk, ``ModuleDict`` task -> head) on ``num_features``-dim backbone features."""
    resolved = head_spec(spec)
    trunk, width = resolved.trunk(num_features)
    heads = nn.ModuleDict({task: resolved.head(width, task, k) for task, k in tasks.items()})
    return trunk, heads
