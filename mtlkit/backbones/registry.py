"""The backbone registry: ``create(name, **kwargs)`` and ``names()``, timm-style.

Builders are imported lazily, so listing names (or a typo) never imports torchvision or timm.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from mtlkit.errors import UserError, unknown_name

# name -> (module, builder function); a builder's keyword arguments are the backbone's options.
_BUILDERS: dict[str, tuple[str, str]] = {
    "tiny_cnn": ("mtlkit.backbones.tiny_cnn", "tiny_cnn"),
    "resnet18": ("mtlkit.backbones.resnet", "resnet18"),
    "resnet152": ("mtlkit.backbones.resnet", "resnet152"),
    "vit_tiny": ("mtlkit.backbones.vit", "vit_tiny"),
    "vit_small": ("mtlkit.backbones.vit", "vit_small"),
    "vit_seed": ("mtlkit.backbones.vit_seed", "vit_seed"),
}


def names() -> list[str]:
    """The registered backbone names, smallest first."""
    return list(_BUILDERS)


def _builder(name: str) -> Callable[..., Any]:
    if name not in _BUILDERS:
        raise unknown_name("backbone", name, names())
    module, attr = _BUILDERS[name]
    return getattr(importlib.import_module(module), attr)


def options(name: str) -> dict[str, Any]:
    """The keyword options of backbone ``name`` with their defaults."""
    params = inspect.signature(_builder(name)).parameters.values()
    return {p.name: p.default for p in params}


def create(name: str, **kwargs: Any):
    """Build backbone ``name`` (randomly initialised; no weights are ever downloaded).

    Raises ``UserError`` for an unknown name or option, listing the valid ones.
    """
    builder = _builder(name)
    valid = options(name)
    unknown = sorted(set(kwargs) - set(valid))
    if unknown:
        listed = ", ".join(f"{k}={v!r}" for k, v in valid.items()) or "none"
        raise UserError(
            f"backbone {name!r} has no option {', '.join(map(repr, unknown))}; valid options: {listed}"
        )
    return builder(**kwargs)
