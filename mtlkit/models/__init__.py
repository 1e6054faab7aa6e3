"""Multi-task architectures (docs/design.md, "Models").

- :class:`HardSharing` — one backbone, one head per task;
- :class:`SingleTask` — the one-task baseline with the same ``dict`` interface;
- heads: :func:`build_heads`, :class:`LinearHead`, :class:`MLPHead`, :class:`SeedHead`;
- :func:`count_parameters` — shared / per-task / total counts.
"""

from __future__ import annotations

from mtlkit.models.base import MultiTaskModel
from mtlkit.models.count import count_parameters
from mtlkit.models.hard_sharing import HardSharing
from mtlkit.models.heads import LinearHead, MLPHead, SeedHead, build_heads, head_spec
from mtlkit.models.single_task import SingleTask

__all__ = [
    "HardSharing",
    "LinearHead",
    "MLPHead",
    "MultiTaskModel",
    "SeedHead",
    "SingleTask",
    "build_heads",
    "count_parameters",
    "head_spec",
]
