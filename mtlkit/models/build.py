"""Build a model from an architecture name and a backbone name (used by ``mtlkit train --arch``).

``build("hard", "resnet18", {"fine": 100, "coarse": 20}, head="seed")``. The backbone is created with
:func:`mtlkit.backbones.create` (imported only here, when needed); column architectures (``soft``,
``cross_stitch``) create one per task. ``backbone`` may also be a zero-argument factory or, for the
single-column architectures, a module.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from torch import nn

from mtlkit.errors import UserError, unknown_name
from mtlkit.models.base import MultiTaskModel, check_tasks
from mtlkit.models.cross_stitch import CrossStitch
from mtlkit.models.hard_sharing import HardSharing
from mtlkit.models.heads import HeadSpec
from mtlkit.models.single_task import SingleTask
from mtlkit.models.soft_sharing import SoftSharing

ARCHS = ("single", "hard", "soft", "cross_stitch")


def archs() -> list[str]:
    """The architecture names :func:`build` accepts."""
    return list(ARCHS)


def _factory(backbone: str | nn.Module | Callable[[], nn.Module], kwargs: Mapping[str, Any]):
    if isinstance(backbone, str):
        from mtlkit.backbones import create

        return lambda: create(backbone, **kwargs)
    if kwargs:
        raise UserError("backbone_kwargs only apply when the backbone is given by name")
    if isinstance(backbone, nn.Module):
        return lambda: copy.deepcopy(backbone)
    if callable(backbone):
        return backbone
    raise UserError(f"backbone must be a name, a module or a factory, got {type(backbone).__name__}")


def build(
    arch: str,
    backbone: str | nn.Module | Callable[[], nn.Module],
    tasks: Mapping[str, int],
    head: str | HeadSpec | Mapping[str, Any] = "linear",
    backbone_kwargs: Mapping[str, Any] | None = None,
    **arch_kwargs: Any,
) -> MultiTaskModel:
    """Build architecture ``arch`` on ``backbone`` for ``tasks`` (``{task: num_classes}``)."""
    if arch not in ARCHS:
        raise unknown_name("architecture", arch, ARCHS)
    tasks = check_tasks(tasks)
    make = _factory(backbone, backbone_kwargs or {})
    single_column = arch in ("single", "hard")
    if single_column and arch_kwargs:
        raise UserError(f"architecture {arch!r} takes no options, got {sorted(arch_kwargs)}")
    module = backbone if isinstance(backbone, nn.Module) else None
    if arch == "single":
        if len(tasks) != 1:
            raise UserError(f"architecture 'single' trains exactly one task, got {sorted(tasks)}: pick one")
        ((task, k),) = tasks.items()
        return SingleTask(module or make(), task, k, head=head)
    if arch == "hard":
        return HardSharing(module or make(), tasks, head=head)
    cls = SoftSharing if arch == "soft" else CrossStitch
    valid = [
        name for name in inspect.signature(cls).parameters if name not in ("make_backbone", "tasks", "head")
    ]
    if bad := sorted(set(arch_kwargs) - set(valid)):
        raise UserError(f"architecture {arch!r} has no option(s) {bad}; valid options: {valid}")
    return cls(make, tasks, head=head, **arch_kwargs)
