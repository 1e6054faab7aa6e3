"""Loss weighting strategies behind one interface (docs/design.md, "Weighting").

``create(name, tasks, **kw)`` builds one by name; ``names()`` lists them. Loss-weighting methods:
:class:`Static`, :class:`Equal`, :class:`Uncertainty`, :class:`DWA`. Gradient methods (one backward per
task, not for plain DDP): :class:`GradNorm`, :class:`PCGrad`. The classes are imported when first used,
so ``names()`` imports no torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mtlkit.weighting.registry import create, names

if TYPE_CHECKING:
    from mtlkit.weighting.base import PlainWeighting, Weighting, as_weighting
    from mtlkit.weighting.dwa import DWA
    from mtlkit.weighting.equal import Equal
    from mtlkit.weighting.gradnorm import GradNorm
    from mtlkit.weighting.pcgrad import PCGrad
    from mtlkit.weighting.static import Static
    from mtlkit.weighting.uncertainty import Uncertainty

_MODULES = {
    "DWA": "dwa",
    "Equal": "equal",
    "GradNorm": "gradnorm",
    "PCGrad": "pcgrad",
    "PlainWeighting": "base",
    "Static": "static",
    "Uncertainty": "uncertainty",
    "Weighting": "base",
    "as_weighting": "base",
}

__all__ = [
    "DWA",
    "Equal",
    "GradNorm",
    "PCGrad",
    "PlainWeighting",
    "Static",
    "Uncertainty",
    "Weighting",
    "as_weighting",
    "create",
    "names",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(f"mtlkit.weighting.{_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
