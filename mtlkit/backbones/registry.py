"""The backbone registry: ``create(name, **kwargs)`` and ``names()``, timm-style.

Builders are imported lazily, so listing names (or a typo) never imports torchvision or timm. A
builder's keyword arguments are the backbone's options.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mtlkit.registry import Registry

if TYPE_CHECKING:
    from torch import nn

BACKBONES = Registry("backbone")
BACKBONES.add("tiny_cnn", "mtlkit.backbones.tiny_cnn:tiny_cnn")
BACKBONES.add("resnet18", "mtlkit.backbones.resnet:resnet18")
BACKBONES.add("resnet152", "mtlkit.backbones.resnet:resnet152")
BACKBONES.add("vit_tiny", "mtlkit.backbones.vit:vit_tiny")
BACKBONES.add("vit_small", "mtlkit.backbones.vit:vit_small")
BACKBONES.add("vit_seed", "mtlkit.backbones.vit_seed:vit_seed")


def names() -> list[str]:
    """The registered backbone names, smallest first."""
    return BACKBONES.names()


def options(name: str) -> dict[str, Any]:
    """The keyword options of backbone ``name`` with their defaults."""
    return BACKBONES.options(name)


def create(name: str, **kwargs: Any) -> nn.Module:
    """Build backbone ``name`` (randomly initialised; no weights are ever downloaded).

    Raises ``UserError`` for an unknown name or option, listing the valid ones.
    """
    return BACKBONES.create(name, **kwargs)
