"""Each backbone against an implementation it does not share code with: timm's own ViT forward,
torchvision's ResNet forward (stem adjusted), and a functional hand computation of tiny_cnn."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from mtlkit.backbones import create


@pytest.fixture
def images():
    return torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(3))


def randomize_norms_(model: nn.Module) -> nn.Module:
    """Give every BatchNorm/LayerNorm random affine parameters (and BN random running statistics):
    at their defaults (1, 0, mean 0, var 1) a norm is nearly the identity, so mapping one onto the
    wrong layer would go unnoticed."""
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d | nn.LayerNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    return model


def timm_key(key: str) -> str:
    """Our Backbone's state-dict key -> timm VisionTransformer's (stage 0 = embedding, i = block i-1)."""
    key = re.sub(r"^stages\.0\.", "", key)
    key = re.sub(r"^stages\.(\d+)\.", lambda m: f"blocks.{int(m.group(1)) - 1}.", key)
    return re.sub(r"^pool\.norm\.", "norm.", key)


@pytest.mark.parametrize("global_pool", ["avg", "token"])
def test_vit_equals_timms_forward_features_then_head(images, global_pool):
    from timm.models.vision_transformer import VisionTransformer

    torch.manual_seed(0)
    ours = randomize_norms_(create("vit_tiny", depth=2, global_pool=global_pool)).eval()
    reference = VisionTransformer(
        img_size=32,
        patch_size=4,
        num_classes=0,
        global_pool=global_pool,
        embed_dim=192,
        depth=2,
        num_heads=3,
        class_token=global_pool == "token",
        fc_norm=False,
    ).eval()
    reference.load_state_dict({timm_key(k): v for k, v in ours.state_dict().items()}, strict=True)
    with torch.no_grad():
        expected = reference.forward_head(reference.forward_features(images))
        assert torch.equal(ours(images), expected)


def torchvision_key(key: str, stem: str) -> str:
    """Our key -> torchvision ResNet's: stem ``stages.0.{0,1}`` -> ``conv1``/``bn1``, stage i -> layer i."""
    key = re.sub(r"^stages\.0\.0\.", "conv1.", key)
    key = re.sub(r"^stages\.0\.1\.", "bn1.", key)
    return re.sub(r"^stages\.(\d)\.", r"layer\1.", key)


@pytest.mark.parametrize(
    ("arch", "stem"),
    [("resnet18", "cifar"), ("resnet18", "imagenet"), ("resnet152", "cifar"), ("resnet152", "imagenet")],
)
def test_resnet_equals_torchvisions_forward_with_the_stem_adjusted(images, arch, stem):
    from torchvision.models import resnet

    torch.manual_seed(0)
    ours = randomize_norms_(create(arch, stem=stem)).eval()
    reference = getattr(resnet, arch)(weights=None)
    reference.fc = nn.Identity()
    if stem == "cifar":  # He et al. 2016, section 4.2: a 3x3 stride-1 conv and no max-pool
        reference.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        reference.maxpool = nn.Identity()
    state = {torchvision_key(k, stem): v for k, v in ours.state_dict().items()}
    reference.load_state_dict(state, strict=True)
    reference.eval()
    with torch.no_grad():
        got, expected = ours(images), reference(images)
    assert got.shape == expected.shape == (2, ours.num_features)
    assert torch.equal(got, expected)  # the same kernels in the same order: bit for bit


def test_tiny_cnn_equals_a_functional_hand_computation(images):
    torch.manual_seed(0)
    model = randomize_norms_(create("tiny_cnn", width=8)).eval()
    x = images
    for i, stage in enumerate(model.stages):
        conv, bn = stage[0], stage[1]
        x = F.conv2d(x, conv.weight, padding=1)
        x = (x - bn.running_mean[:, None, None]) / torch.sqrt(bn.running_var[:, None, None] + bn.eps)
        x = F.relu(x * bn.weight[:, None, None] + bn.bias[:, None, None])
        if i < 3:
            x = F.max_pool2d(x, 2)
    with torch.no_grad():
        torch.testing.assert_close(model(images), x.mean(dim=(2, 3)), rtol=1e-5, atol=1e-6)
