"""Build a weighting by name: ``create("dwa", tasks, temperature=2.0)``; ``names()`` lists them.

A builder takes the tasks (a ``{task: classes}`` dict or a list of names) and the method's options;
builders are imported when used, so listing the names imports no torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mtlkit.registry import Registry

if TYPE_CHECKING:
    from mtlkit.weighting.base import Weighting

WEIGHTINGS = Registry("weighting", given=("tasks",))
WEIGHTINGS.add("equal", "mtlkit.weighting.equal:Equal")
WEIGHTINGS.add("static", "mtlkit.weighting.static:static")
WEIGHTINGS.add("uncertainty", "mtlkit.weighting.uncertainty:Uncertainty")
WEIGHTINGS.add("dwa", "mtlkit.weighting.dwa:DWA")
WEIGHTINGS.add("gradnorm", "mtlkit.weighting.gradnorm:GradNorm")
WEIGHTINGS.add("pcgrad", "mtlkit.weighting.pcgrad:PCGrad")


def names() -> list[str]:
    """The weighting names ``create`` accepts."""
    return WEIGHTINGS.names()


def create(name: str, tasks: Mapping[str, int] | Sequence[str], **kwargs: Any) -> Weighting:
    """Build weighting ``name`` for ``tasks`` (a ``{task: classes}`` dict or a list of task names)."""
    return WEIGHTINGS.create(name, tasks, **kwargs)
