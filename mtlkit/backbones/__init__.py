"""Backbones: image ``[B, 3, 32, 32]`` -> features ``[B, num_features]``, cut into ``stages``.

``create(name, **kwargs)`` builds one by name (see ``names()``); every backbone satisfies
``forward(x) == pool(stages(x))`` (see ``mtlkit.backbones.base.Backbone``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mtlkit.backbones.registry import create, names, options

if TYPE_CHECKING:
    from mtlkit.backbones.base import Backbone
    from mtlkit.backbones.flops import count_flops

__all__ = ["Backbone", "count_flops", "create", "names", "options"]


def __getattr__(name: str) -> Any:
    # Lazy: importing the package must not import torch.
    if name == "Backbone":
        from mtlkit.backbones.base import Backbone

        return Backbone
    if name == "count_flops":
        from mtlkit.backbones.flops import count_flops

        return count_flops
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
