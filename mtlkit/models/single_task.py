"""A single-task network with the multi-task interface: the baseline every MTL model is compared to.

``forward`` returns ``{task: logits}`` with one key, so the trainer and the weightings treat it like any
other model; nothing is shared (``shared_parameters() == []``), every parameter belongs to the task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor, nn

from mtlkit.models.base import MultiTaskModel, check_backbone, check_tasks, unique
from mtlkit.models.heads import HeadSpec, build_heads


class SingleTask(MultiTaskModel):
    """``backbone`` + (trunk, head) for one ``task`` with ``num_classes`` classes."""

    def __init__(
        self,
        backbone: nn.Module,
        task: str,
        num_classes: int,
        head: str | HeadSpec | Mapping[str, Any] = "linear",
    ) -> None:
        super().__init__()
        backbone = check_backbone(backbone)
        self.tasks = check_tasks({task: num_classes})
        self.task = task
        self.backbone = backbone
        self.trunk, self.heads = build_heads(head, backbone.num_features, self.tasks)

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        return {self.task: self.heads[self.task](self.trunk(self.backbone(images)))}

    def shared_parameters(self) -> list[nn.Parameter]:
        return []

    def task_parameters(self, task: str) -> list[nn.Parameter]:
        if task != self.task:
            raise KeyError(task)
        return unique(self.parameters())
