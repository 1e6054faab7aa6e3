"""``vit_tiny`` / ``vit_small``: timm ``VisionTransformer`` (Dosovitskiy et al., ICLR 2021) for 32x32.

A 32x32 image is cut into 4x4 patches (64 tokens). Tiny: dim 192, depth 12, 3 heads (DeiT-Ti,
Touvron et al. 2021); small: dim 384, depth 12, 6 heads (DeiT-S). Stages:
``[patch embedding + position (+ class token), block_1, ..., block_depth]``, each ``[B, N, D]``;
``pool`` = final LayerNorm, then the mean over patch tokens (``global_pool="avg"``, the default)
or the class token (``global_pool="token"``).

Why average pooling by default: trained from scratch on small images, global average pooling
matches or beats the class token and trains faster (Beyer, Zhai & Kolesnikov 2022, "Better plain
ViT baselines for ImageNet-1k"; Zhai et al. 2022, "Scaling Vision Transformers"), and every token is
then an image patch, which keeps the token stages uniform for sharing schemes.
Weights are timm's random initialisation; nothing is downloaded (the class is built directly).

``conv_stem=True`` replaces the patch projection by a convolutional stem (Xiao et al., NeurIPS 2021,
"Early Convolutions Help Transformers See Better"): ``log2(patch_size)`` 3x3 stride-2 convolutions
with BatchNorm and ReLU, then a 1x1 convolution to ``embed_dim``; same tokens, same transformer. A
tiny ViT learns edges and shapes from little data far sooner with it (the ``quick`` capstone preset).
"""

from __future__ import annotations

from functools import partial
from typing import Any, cast

import torch
from torch import Tensor, nn

from mtlkit.backbones.base import Backbone
from mtlkit.errors import UserError

IMAGE_SIZE = 32
POOLS = ("avg", "token")


class TokenEmbedding(nn.Module):
    """Image ``[B, 3, H, W]`` -> tokens ``[B, N (+1), D]``: patch projection (+ class token) + position."""

    def __init__(
        self,
        patch_embed: nn.Module,
        cls_token: nn.Parameter | None,
        pos_embed: nn.Parameter,
        pos_drop: nn.Module,
    ) -> None:
        super().__init__()
        self.patch_embed = patch_embed
        self.cls_token = cls_token
        self.pos_embed = pos_embed
        self.pos_drop = pos_drop

    def forward(self, x: Tensor) -> Tensor:
        x = self.patch_embed(x)
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        return self.pos_drop(x + self.pos_embed)


class TokenPool(nn.Module):
    """Tokens ``[B, N, D]`` -> ``[B, D]``: final norm, then the mean patch token or the class token."""

    def __init__(self, norm: nn.Module, global_pool: str, head_drop: nn.Module) -> None:
        super().__init__()
        self.norm = norm
        self.global_pool = global_pool
        self.head_drop = head_drop

    def forward(self, x: Tensor) -> Tensor:
        x = self.norm(x)
        x = x[:, 0] if self.global_pool == "token" else x.mean(dim=1)
        return self.head_drop(x)


def _check(name: str, embed_dim: int, depth: int, num_heads: int, patch_size: int, global_pool: str) -> None:
    if global_pool not in POOLS:
        raise UserError(f"{name}: global_pool must be one of {', '.join(POOLS)}; got {global_pool!r}")
    for key, value in {"embed_dim": embed_dim, "depth": depth, "num_heads": num_heads}.items():
        if not isinstance(value, int) or value < 1:
            raise UserError(f"{name}: {key} must be a positive integer, got {value!r}")
    if embed_dim % num_heads:
        raise UserError(f"{name}: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
    if not isinstance(patch_size, int) or patch_size < 1 or IMAGE_SIZE % patch_size:
        raise UserError(f"{name}: patch_size must divide the image size {IMAGE_SIZE}; got {patch_size!r}")


def _conv_stem(patch_size: int, embed_dim: int) -> nn.Sequential:
    """3x3 stride-2 conv + BN + ReLU, ``log2(patch_size)`` times (widths doubling up to ``embed_dim``),
    then a 1x1 conv to ``embed_dim`` (Xiao et al. 2021): ``[B, 3, 32, 32] -> [B, D, 32/p, 32/p]``."""
    steps = patch_size.bit_length() - 1
    if patch_size != 2**steps or steps < 1:
        raise UserError(
            f"a convolutional stem needs a patch size that is a power of 2 >= 2, got {patch_size}"
        )
    layers: list[nn.Module] = []
    width_in = 3
    for i in range(steps):
        width = max(8, embed_dim >> (steps - 1 - i))
        layers += [nn.Conv2d(width_in, width, 3, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
        width_in = width
    return nn.Sequential(*layers, nn.Conv2d(width_in, embed_dim, 1))


def vision_transformer(
    name: str,
    *,
    embed_dim: int,
    depth: int = 12,
    num_heads: int,
    mlp_ratio: float = 4.0,
    patch_size: int = 4,
    global_pool: str = "avg",
    drop_rate: float = 0.0,
    drop_path_rate: float = 0.1,
    conv_stem: bool = False,
) -> Backbone:
    """Build a timm ViT for 32x32 images and cut it into token stages (``name``: for messages)."""
    _check(name, embed_dim, depth, num_heads, patch_size, global_pool)
    from timm.models.vision_transformer import VisionTransformer  # lazy: timm is slow to import

    vit = VisionTransformer(
        img_size=IMAGE_SIZE,
        patch_size=patch_size,
        num_classes=0,
        global_pool=cast(Any, global_pool),  # one of POOLS (checked above)
        embed_dim=embed_dim,
        depth=depth,
        num_heads=num_heads,
        mlp_ratio=mlp_ratio,
        class_token=global_pool == "token",
        fc_norm=False,  # fc_norm=False: LayerNorm before pooling
        drop_rate=drop_rate,
        drop_path_rate=drop_path_rate,
    )
    if conv_stem:
        vit.patch_embed.proj = _conv_stem(patch_size, embed_dim)
    pos_embed = cast(nn.Parameter, vit.pos_embed)  # learned: timm's default pos_embed='learn'
    embed = TokenEmbedding(vit.patch_embed, vit.cls_token, pos_embed, vit.pos_drop)
    stages = [embed, *vit.blocks]
    pool = TokenPool(vit.norm, global_pool, vit.head_drop)
    return Backbone(stages, [embed_dim] * len(stages), pool, num_features=embed_dim)


# The registered sizes: their keyword options (with these defaults) are the backbone's options.
vit_tiny = partial(vision_transformer, "vit_tiny", embed_dim=192, num_heads=3)  # DeiT-Ti/4: 5.4M params
vit_small = partial(vision_transformer, "vit_small", embed_dim=384, num_heads=6)  # DeiT-S/4: 21.3M params
