"""The ``Backbone`` contract: ``forward(x) == pool(stages(x))``.

Every backbone maps a normalised image batch ``[B, 3, H, W]`` to features ``[B, num_features]`` by
applying its ``stages`` in order and then its ``pool``. Sharing schemes (cross-stitch, soft sharing)
cut a backbone between stages, so ``forward`` is literally that composition and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn


class Backbone(nn.Module):
    """A feature extractor built from ordered ``stages`` followed by ``pool``.

    Attributes:
        stages: modules applied in order; conv stages return ``[B, C, H, W]``, token stages ``[B, N, D]``.
        stage_dims: channels (conv) or embedding size (tokens) after each stage.
        pool: module mapping the last stage's output to ``[B, num_features]``.
        num_features: size of the feature vector.
    """

    def __init__(
        self, stages: Sequence[nn.Module], stage_dims: Sequence[int], pool: nn.Module, num_features: int
    ) -> None:
        super().__init__()
        if len(stages) != len(stage_dims):
            raise ValueError(f"{len(stages)} stages but {len(stage_dims)} stage_dims")
        self.stages = nn.ModuleList(stages)
        self.stage_dims = [int(d) for d in stage_dims]
        self.pool = pool
        self.num_features = int(num_features)

    def forward_stages(self, x: Tensor) -> Tensor:
        """Apply every stage in order (the input of ``pool``)."""
        for stage in self.stages:
            x = stage(x)
        return x

    def forward(self, x: Tensor) -> Tensor:
        return self.pool(self.forward_stages(x))


class GlobalAvgPool(nn.Module):
    """``[B, C, H, W] -> [B, C]``: the mean over all spatial positions."""

    def forward(self, x: Tensor) -> Tensor:
        return x.mean(dim=(2, 3))
