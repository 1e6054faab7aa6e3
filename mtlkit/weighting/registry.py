"""Build a weighting by name: ``create("dwa", tasks, temperature=2.0)``; ``names()`` lists them."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from mtlkit.errors import UserError, unknown_name
from mtlkit.weighting.base import Weighting

# name -> "module:attribute" of a callable (tasks, **kw) -> Weighting; imported only when used.
_BUILDERS = {
    "equal": "mtlkit.weighting.equal:Equal",
    "static": "mtlkit.weighting.registry:static",
    "uncertainty": "mtlkit.weighting.uncertainty:Uncertainty",
    "dwa": "mtlkit.weighting.dwa:DWA",
    "gradnorm": "mtlkit.weighting.gradnorm:GradNorm",
    "pcgrad": "mtlkit.weighting.pcgrad:PCGrad",
}


def static(
    tasks: Mapping[str, int] | Sequence[str],
    gamma: float | None = None,
    weights: Mapping[str, float] | None = None,
) -> Weighting:
    """Static weights from ``gamma`` (two tasks), explicit ``weights``, or all 1."""
    from mtlkit.weighting.static import Static

    names = list(tasks)
    if gamma is not None and weights is not None:
        raise UserError("static weighting: give either gamma or weights, not both")
    if gamma is not None:
        return Static.gamma(gamma, names)
    if weights is None:
        return Static(dict.fromkeys(names, 1.0))
    if set(weights) != set(names):
        raise UserError(f"static weights are for tasks {sorted(weights)}, the model has {sorted(names)}")
    return Static(weights)


def names() -> list[str]:
    """The weighting names ``create`` accepts."""
    return list(_BUILDERS)


def create(name: str, tasks: Mapping[str, int] | Sequence[str], **kwargs: Any) -> Weighting:
    """Build weighting ``name`` for ``tasks`` (a ``{task: classes}`` dict or a list of task names)."""
    if name not in _BUILDERS:
        raise unknown_name("weighting", name, _BUILDERS)
    module, attribute = _BUILDERS[name].split(":")
    builder = getattr(importlib.import_module(module), attribute)
    accepted = [p for p in inspect.signature(builder).parameters if p not in ("self", "tasks")]
    if bad := sorted(set(kwargs) - set(accepted)):
        raise UserError(f"weighting {name!r} has no option(s) {bad}; valid options: {accepted or 'none'}")
    return builder(tasks, **kwargs)
