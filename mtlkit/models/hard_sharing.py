"""Hard parameter sharing (Caruana 1997): one backbone for all tasks, one head per task.

``logits_t = head_t(trunk(backbone(x)))``. The backbone and the head trunk (the ``seed`` spec's shared
Dense layer; nothing for ``linear``/``mlp``) are the shared parameters; each head belongs to its task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor, nn

from mtlkit.models.base import MultiTaskModel, check_backbone, check_tasks, unique
from mtlkit.models.heads import HeadSpec, build_heads


class HardSharing(MultiTaskModel):
    """One shared ``backbone`` (the very object passed in, not a copy) and a head per task."""

    def __init__(
        self,
        backbone: nn.Module,
        tasks: Mapping[str, int],
        head: str | HeadSpec | Mapping[str, Any] = "linear",
    ) -> None:
        super().__init__()
        backbone = check_backbone(backbone)
        self.tasks = check_tasks(tasks)
        self.backbone = backbone
        self.trunk, self.heads = build_heads(head, backbone.num_features, self.tasks)

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        features = self.trunk(self.backbone(images))
        return {task: head(features) for task, head in self.heads.items()}

    def shared_parameters(self) -> list[nn.Parameter]:
        return unique([*self.backbone.parameters(), *self.trunk.parameters()])

    def task_parameters(self, task: str) -> list[nn.Parameter]:
        return list(self.heads[task].parameters())
