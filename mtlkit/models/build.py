"""Build a model from an architecture name and a backbone name (used by ``mtlkit train --arch``).

``build("hard", "resnet18", {"fine": 100, "coarse": 20}, head="seed")``. The backbone is created with
:func:`mtlkit.backbones.create` (imported only here, when needed); column architectures (``soft``,
``cross_stitch``) create one per task. ``backbone`` may also be a zero-argument factory or, for the
single-column architectures, a module. An architecture's options are its builder's keyword parameters
(``ARCHITECTURES``: :class:`mtlkit.registry.Registry`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from torch import nn

from mtlkit.errors import UserError
from mtlkit.models.base import MultiTaskModel, check_tasks
from mtlkit.models.hard_sharing import HardSharing
from mtlkit.models.heads import HeadSpec
from mtlkit.models.single_task import SingleTask
from mtlkit.registry import Registry

Head = str | HeadSpec | Mapping[str, Any]


class Backbones:
    """What an architecture builder gets: ``make_backbone()`` builds a new backbone (a copy of a given
    module); :meth:`first` is the given module itself (a single-column model trains the very object)."""

    def __init__(self, make: Callable[[], nn.Module], given: nn.Module | None = None) -> None:
        self.make, self.given = make, given

    def __call__(self) -> nn.Module:
        return self.make()

    def first(self) -> nn.Module:
        return self.given if self.given is not None else self.make()


ARCHITECTURES = Registry("architecture", given=("make_backbone", "tasks", "head"))


@ARCHITECTURES.register("single")
def single(make_backbone: Backbones, tasks: dict[str, int], head: Head = "linear") -> SingleTask:
    """One task alone (the baseline)."""
    if len(tasks) != 1:
        raise UserError(f"architecture 'single' trains exactly one task, got {sorted(tasks)}: pick one")
    ((task, k),) = tasks.items()
    return SingleTask(make_backbone.first(), task, k, head=head)


@ARCHITECTURES.register("hard")
def hard(make_backbone: Backbones, tasks: dict[str, int], head: Head = "linear") -> HardSharing:
    """One shared backbone, a head per task."""
    return HardSharing(make_backbone.first(), tasks, head=head)


ARCHITECTURES.add("soft", "mtlkit.models.soft_sharing:SoftSharing")
ARCHITECTURES.add("cross_stitch", "mtlkit.models.cross_stitch:CrossStitch")


def archs() -> list[str]:
    """The architecture names :func:`build` accepts."""
    return ARCHITECTURES.names()


def _backbones(backbone: str | nn.Module | Callable[[], nn.Module], kwargs: Mapping[str, Any]) -> Backbones:
    if isinstance(backbone, str):
        from mtlkit.backbones import create

        return Backbones(lambda: create(backbone, **kwargs))
    if kwargs:
        raise UserError("backbone_kwargs only apply when the backbone is given by name")
    if isinstance(backbone, nn.Module):
        return Backbones(lambda: copy.deepcopy(backbone), given=backbone)
    if callable(backbone):
        return Backbones(backbone)
    raise UserError(f"backbone must be a name, a module or a factory, got {type(backbone).__name__}")


def build(
    arch: str,
    backbone: str | nn.Module | Callable[[], nn.Module],
    tasks: Mapping[str, int],
    head: Head = "linear",
    backbone_kwargs: Mapping[str, Any] | None = None,
    **arch_kwargs: Any,
) -> MultiTaskModel:
    """Build architecture ``arch`` on ``backbone`` for ``tasks`` (``{task: num_classes}``)."""
    builder = ARCHITECTURES.check(arch, arch_kwargs)
    return builder(_backbones(backbone, backbone_kwargs or {}), check_tasks(tasks), head=head, **arch_kwargs)
