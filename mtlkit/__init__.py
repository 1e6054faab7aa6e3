"""mtlkit: multi-task learning for image classification, built to be taught.

Sub-packages are imported lazily so that ``import mtlkit`` stays cheap:

- :mod:`mtlkit.data`        task datasets (CIFAR-10/100 with superclasses, synthetic ``shapes``) and a device loader
- :mod:`mtlkit.backbones`   ``create(name)``: ViT, ResNet, tiny CNN, all cut into ``stages``
- :mod:`mtlkit.models`      hard / soft sharing, cross-stitch, heads, parameter counts
- :mod:`mtlkit.weighting`   loss weighting strategies behind one interface
- :mod:`mtlkit.train`       ``fit`` and ``evaluate``
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = ("data", "backbones", "models", "weighting", "train", "check", "errors")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"mtlkit.{name}")
    raise AttributeError(f"module 'mtlkit' has no attribute {name!r}")


__all__ = ["__version__", *_SUBMODULES]
