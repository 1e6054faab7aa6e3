"""``vit_seed``: the Keras ViT that the original 2023 study used, ported to PyTorch.

Source: the study, M. T. Nguyen & P. Chen, "Multi-task Learning with Vision Transformers" (ECE 6524,
2023), https://github.com/mnguyen0226/multitask_learning_vit (see :mod:`mtlkit.capstone.study`). Its
ViT notebooks adapt the Keras example "Image classification with Vision Transformer" (K. Salama, 2021,
keras.io/examples/vision/image_classification_with_vision_transformer, TensorFlow 2 version); the
values below are the notebooks' own, read in ``create_model`` and the settings cell of
``multitask-learning-vit-cifar100-classification.ipynb@3fc0421d17dd5f9afa9687ffc3a74c77c720aa43``
(``transformer_dropout = 0.2``, ``mlp_dropout = 0.2``). Architecture:

- resize the 32x32 image to 72x72 (bilinear, half-pixel centres as ``tf.image.resize``), inside
  the model (the notebooks' ``Normalization`` + ``Resizing``; no random augmentation);
- 6x6 patches -> 12*12 = 144 tokens, each projected 108 -> 64 (``Dense``; here an equivalent
  stride-6 conv) + a learned position embedding; no class token;
- 8 pre-norm blocks: ``x += MHA(LN(x))``, ``x += MLP(LN(x))`` with LayerNorm eps 1e-6, Keras
  ``MultiHeadAttention(num_heads=4, key_dim=64, dropout=0.1)`` (4 heads of size 64: 64 -> 256 -> 64,
  dropout on the attention weights) and MLP ``Dense(128, gelu) -> Dropout(0.2) -> Dense(64, gelu)
  -> Dropout(0.2)`` (GELU after *both* layers);
- ``pool``: final LayerNorm, flatten the 144x64 tokens (9216 features), Dropout(0.2).

The classifier on top belongs to the task heads, not here: the study's heads are
:class:`mtlkit.models.heads.SeedHead` (``head="seed"``), a shared ``Dense(2048)`` + GELU + Dropout(0.2)
on these 9216 features, then per task a tower ``1024-512-256-128-K`` (fine) or ``512-256-128-K``
(coarse), each hidden layer GELU + Dropout(0.2), softmax outputs; the ``seed`` preset trains with
those (with cross-entropy on both heads, where the notebooks put binary cross-entropy on the second).

Linear weights use Keras' default Glorot-uniform with zero biases; the position embedding Keras'
``Embedding`` default uniform(-0.05, 0.05).
"""

from __future__ import annotations

import math
from typing import cast

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from mtlkit.backbones.base import Backbone
from mtlkit.errors import UserError

LN_EPS = 1e-6


def _glorot_(weight: Tensor, fan_in: int, fan_out: int) -> None:
    """Keras' ``glorot_uniform`` for a dense kernel with the given fans."""
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    nn.init.uniform_(weight, -bound, bound)


def _dense(in_features: int, out_features: int) -> nn.Linear:
    layer = nn.Linear(in_features, out_features)
    _glorot_(layer.weight, in_features, out_features)
    nn.init.zeros_(layer.bias)
    return layer


class PatchEncoder(nn.Module):
    """Resize, cut into patches, project each to ``dim`` and add a learned position embedding."""

    def __init__(self, image_size: int, patch_size: int, dim: int) -> None:
        super().__init__()
        self.image_size = image_size
        num_patches = (image_size // patch_size) ** 2
        # A stride-``patch_size`` conv is the Dense projection of each flattened patch.
        self.projection = nn.Conv2d(3, dim, kernel_size=patch_size, stride=patch_size)
        _glorot_(self.projection.weight, 3 * patch_size**2, dim)
        nn.init.zeros_(cast(Tensor, self.projection.bias))  # the conv has a bias (default bias=True)
        self.position_embedding = nn.Parameter(torch.empty(1, num_patches, dim).uniform_(-0.05, 0.05))

    def forward(self, x: Tensor) -> Tensor:
        size = (self.image_size, self.image_size)
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=False)
        x = self.projection(x).flatten(2).transpose(1, 2)  # [B, N, D], patches in row-major order
        return x + self.position_embedding


class KerasMultiHeadAttention(nn.Module):
    """Self-attention with ``num_heads`` heads of size ``key_dim`` each, independent of ``dim``."""

    def __init__(self, dim: int, num_heads: int, key_dim: int, dropout: float) -> None:
        super().__init__()
        self.num_heads, self.key_dim, self.dropout = num_heads, key_dim, dropout
        inner = num_heads * key_dim
        self.query, self.key, self.value = _dense(dim, inner), _dense(dim, inner), _dense(dim, inner)
        self.output = _dense(inner, dim)

    def _heads(self, x: Tensor) -> Tensor:
        return x.unflatten(-1, (self.num_heads, self.key_dim)).transpose(1, 2)  # [B, H, N, key_dim]

    def forward(self, x: Tensor) -> Tensor:
        q, k, v = self._heads(self.query(x)), self._heads(self.key(x)), self._heads(self.value(x))
        p = self.dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=p)  # softmax(qk^T/sqrt(key_dim)) v
        return self.output(out.transpose(1, 2).flatten(2))


class KerasTransformerBlock(nn.Module):
    """Pre-norm block: ``x + MHA(LN(x))``, then ``+ MLP(LN(.))`` with GELU after both dense layers."""

    def __init__(
        self, dim: int, num_heads: int, key_dim: int, mlp_dim: int, dropout: float, attention_dropout: float
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=LN_EPS)
        self.attention = KerasMultiHeadAttention(dim, num_heads, key_dim, attention_dropout)
        self.norm2 = nn.LayerNorm(dim, eps=LN_EPS)
        self.mlp = nn.Sequential(
            _dense(dim, mlp_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            _dense(mlp_dim, dim),
            nn.GELU(),
            nn.Dropout(dropout),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class FlattenPool(nn.Module):
    """Tokens ``[B, N, D]`` -> ``[B, N*D]``: final LayerNorm, flatten, dropout."""

    def __init__(self, dim: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim, eps=LN_EPS)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.norm(x).flatten(1))


def vit_seed(
    image_size: int = 72,
    patch_size: int = 6,
    dim: int = 64,
    depth: int = 8,
    num_heads: int = 4,
    dropout: float = 0.2,
    pool_dropout: float = 0.2,
    attention_dropout: float = 0.1,
) -> Backbone:
    """The study's Keras ViT (681,920 parameters with the defaults), ``(image_size/patch_size)^2 * dim``
    features (9216 with the defaults). ``dim`` is both the token size and the per-head key size."""
    for key, value in {
        "image_size": image_size,
        "patch_size": patch_size,
        "dim": dim,
        "depth": depth,
        "num_heads": num_heads,
    }.items():
        if not isinstance(value, int) or value < 1:
            raise UserError(f"vit_seed: {key} must be a positive integer, got {value!r}")
    if image_size % patch_size:
        raise UserError(f"vit_seed: patch_size ({patch_size}) must divide image_size ({image_size})")
    num_patches = (image_size // patch_size) ** 2
    blocks = [
        KerasTransformerBlock(dim, num_heads, dim, 2 * dim, dropout, attention_dropout) for _ in range(depth)
    ]
    stages = [PatchEncoder(image_size, patch_size, dim), *blocks]
    return Backbone(stages, [dim] * len(stages), FlattenPool(dim, pool_dropout), num_patches * dim)
