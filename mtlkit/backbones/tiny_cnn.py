"""``tiny_cnn``: a small conv-BN-ReLU network that trains in minutes on two CPU cores.

Four 3x3 conv-BN-ReLU blocks of widths ``w, 2w, 4w, 4w`` (max-pooling by 2 after the first three),
then global average pooling: ``32x32 -> 16 -> 8 -> 4 -> 4``. With ``width=32`` it has about 241k
parameters and 13M multiply-adds per 32x32 image (VGG-style, Simonyan & Zisserman 2015, shrunk).
"""

from __future__ import annotations

from torch import nn

from mtlkit.backbones.base import Backbone, GlobalAvgPool
from mtlkit.errors import UserError


def conv_bn_relu(in_channels: int, out_channels: int, downsample: bool) -> nn.Sequential:
    """3x3 conv (no bias: BN has one) + BN + ReLU, then an optional 2x2 max-pool."""
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]
    if downsample:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


def tiny_cnn(width: int = 32) -> Backbone:
    """Build the tiny CNN; ``width`` is the first block's channel count (features = ``4 * width``)."""
    if not isinstance(width, int) or isinstance(width, bool) or width < 1:
        raise UserError(f"tiny_cnn: width must be a positive integer, got {width!r}")
    dims = [width, 2 * width, 4 * width, 4 * width]
    stages = [
        conv_bn_relu(c_in, c_out, downsample=i < 3)
        for i, (c_in, c_out) in enumerate(zip([3, *dims[:-1]], dims, strict=True))
    ]
    return Backbone(stages, dims, GlobalAvgPool(), num_features=dims[-1])
