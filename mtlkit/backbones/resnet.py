"""``resnet18`` / ``resnet152``: torchvision ResNets (He et al., CVPR 2016) cut into five stages.

Stages: ``[stem, layer1, layer2, layer3, layer4]``, then global average pooling (the 1000-class ``fc``
is dropped). Two stems:

- ``"cifar"`` (default): 3x3 stride-1 conv, no max-pool, as in He et al. §4.2 for CIFAR; a 32x32
  image gives 32 -> 32 -> 16 -> 8 -> 4 maps, so the last stage still sees 4x4 positions.
- ``"imagenet"``: the original 7x7 stride-2 conv + 3x3 stride-2 max-pool, as the 2023 study used on
  CIFAR; 32x32 shrinks to 8x8 after the stem and to a single 1x1 position at ``layer4``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from torch import nn

from mtlkit.backbones.base import Backbone, GlobalAvgPool
from mtlkit.errors import UserError

if TYPE_CHECKING:
    from torchvision.models.resnet import BasicBlock, ResNet

STEMS = ("cifar", "imagenet")


def _stem(net: ResNet, stem: str) -> nn.Sequential:
    if stem == "imagenet":
        return nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
    conv = nn.Conv2d(3, net.bn1.num_features, kernel_size=3, stride=1, padding=1, bias=False)
    nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")  # torchvision's init
    return nn.Sequential(conv, net.bn1, net.relu)


def _from_torchvision(arch: str, stem: str) -> Backbone:
    if stem not in STEMS:
        raise UserError(f"{arch}: stem must be one of {', '.join(STEMS)}; got {stem!r}")
    from torchvision.models import resnet  # lazy: torchvision is slow to import

    net = getattr(resnet, arch)(weights=None)
    layers = [net.layer1, net.layer2, net.layer3, net.layer4]
    dims = [net.bn1.num_features] + [_out_channels(layer) for layer in layers]
    return Backbone([_stem(net, stem), *layers], dims, GlobalAvgPool(), num_features=dims[-1])


def _out_channels(layer: nn.Sequential) -> int:
    """Channels produced by a ResNet layer: the last block's final BatchNorm."""
    from torchvision.models.resnet import Bottleneck

    last = layer[-1]
    return (last.bn3 if isinstance(last, Bottleneck) else cast("BasicBlock", last).bn2).num_features


def resnet18(stem: str = "cifar") -> Backbone:
    """ResNet-18 (basic blocks, 11.2M parameters with the cifar stem), 512 features."""
    return _from_torchvision("resnet18", stem)


def resnet152(stem: str = "cifar") -> Backbone:
    """ResNet-152 (bottleneck blocks, 58.1M parameters without the fc), 2048 features."""
    return _from_torchvision("resnet152", stem)
