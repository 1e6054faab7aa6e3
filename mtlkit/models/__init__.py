"""Multi-task architectures (docs/design.md, "Models").

- :class:`HardSharing` — one backbone, one head per task;
- :class:`SingleTask` — the one-task baseline with the same ``dict`` interface;
- :class:`SoftSharing` — one column per task, backbones and trunks coupled by an L2 ``regularizer()``;
- :class:`CrossStitch` — task columns mixed by :class:`CrossStitchUnit` after every stage;
- :func:`build` / :func:`archs` — a model from an architecture name and a backbone name;
- heads: :func:`build_heads`, :class:`LinearHead`, :class:`MLPHead`, :class:`SeedHead`;
- :func:`count_parameters` — shared / per-task / total counts.
"""

from __future__ import annotations

from mtlkit.models.base import MultiTaskModel
from mtlkit.models.build import archs, build
from mtlkit.models.count import count_parameters
from mtlkit.models.cross_stitch import CrossStitch
from mtlkit.models.cross_stitch_unit import CrossStitchUnit
from mtlkit.models.hard_sharing import HardSharing
from mtlkit.models.heads import LinearHead, MLPHead, SeedHead, build_heads, head_spec
from mtlkit.models.single_task import SingleTask
from mtlkit.models.soft_sharing import SoftSharing

__all__ = [
    "CrossStitch",
    "CrossStitchUnit",
    "HardSharing",
    "LinearHead",
    "MLPHead",
    "MultiTaskModel",
    "SeedHead",
    "SingleTask",
    "SoftSharing",
    "archs",
    "build",
    "build_heads",
    "count_parameters",
    "head_spec",
]
