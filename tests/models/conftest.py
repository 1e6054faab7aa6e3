"""Tiny backbones following the mtlkit protocol (num_features, stages, stage_dims, pool), defined here
so the model tests do not depend on mtlkit.backbones: a conv one ([B, C, H, W] stages) and a token one
([B, N, D] stages, like a ViT)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import Tensor, nn


class ConvNet(nn.Module):
    """Two conv-BN-ReLU stages (8 and 16 channels, the second downsamples), global average pool."""

    def __init__(self) -> None:
        super().__init__()
        self.stage_dims = [8, 16]
        self.stages = nn.ModuleList(
            [
                nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()),
                nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU()),
            ]
        )
        self.num_features = 16

    def pool(self, x: Tensor) -> Tensor:
        return x.mean(dim=(2, 3))

    def forward(self, x: Tensor) -> Tensor:
        for stage in self.stages:
            x = stage(x)
        return self.pool(x)


class PatchEmbed(nn.Module):
    def __init__(self, dim: int, patch: int = 8) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, stride=patch)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)  # [B, N, D]


class MLPBlock(nn.Module):
    """Pre-norm residual MLP on tokens (a transformer block without attention, enough for the tests)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.mlp(self.norm(x))


class TokenNet(nn.Module):
    """Patch embedding + two token blocks of width 12; pool = final LayerNorm + mean token."""

    def __init__(self, dim: int = 12) -> None:
        super().__init__()
        self.stage_dims = [dim, dim, dim]
        self.stages = nn.ModuleList([PatchEmbed(dim), MLPBlock(dim), MLPBlock(dim)])
        self.norm = nn.LayerNorm(dim)
        self.num_features = dim

    def pool(self, x: Tensor) -> Tensor:
        return self.norm(x).mean(dim=1)

    def forward(self, x: Tensor) -> Tensor:
        for stage in self.stages:
            x = stage(x)
        return self.pool(x)


BACKBONES: dict[str, Callable[[], nn.Module]] = {"conv": ConvNet, "tokens": TokenNet}


@pytest.fixture(params=sorted(BACKBONES))
def make_backbone(request) -> Callable[[], nn.Module]:
    """A zero-argument factory of a fresh tiny backbone, once conv and once token-based."""
    return BACKBONES[request.param]


@pytest.fixture
def make_conv() -> Callable[[], nn.Module]:
    return ConvNet


@pytest.fixture
def images() -> Tensor:
    return torch.randn(6, 3, 16, 16, generator=torch.Generator().manual_seed(0))


TASKS = {"fine": 5, "coarse": 2}


@pytest.fixture
def tasks() -> dict[str, int]:
    return dict(TASKS)
