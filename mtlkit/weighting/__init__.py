"""Loss weighting strategies behind one interface (docs/design.md, "Weighting").

``create(name, tasks, **kw)`` builds one by name; ``names()`` lists them. Loss-weighting methods:
:class:`Static`, :class:`Equal`, :class:`Uncertainty`, :class:`DWA`. Gradient methods (one backward per
task, not for plain DDP): :class:`GradNorm`, :class:`PCGrad`.
"""

from __future__ import annotations

from mtlkit.weighting.base import PlainWeighting, Weighting, as_weighting
from mtlkit.weighting.dwa import DWA
from mtlkit.weighting.equal import Equal
from mtlkit.weighting.gradnorm import GradNorm
from mtlkit.weighting.pcgrad import PCGrad
from mtlkit.weighting.registry import create, names
from mtlkit.weighting.static import Static
from mtlkit.weighting.uncertainty import Uncertainty

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
