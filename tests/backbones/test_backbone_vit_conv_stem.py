"""The ViT's optional convolutional stem (Xiao et al. 2021): same tokens, convolutions instead of a
linear patch projection."""

import pytest
import torch
from torch import nn

from mtlkit.backbones import create
from mtlkit.errors import UserError


def test_conv_stem_gives_the_same_tokens_as_the_patch_projection():
    plain = create("vit_tiny", embed_dim=32, depth=1, num_heads=2, patch_size=8)
    stem = create("vit_tiny", embed_dim=32, depth=1, num_heads=2, patch_size=8, conv_stem=True)
    x = torch.randn(2, 3, 32, 32)
    assert stem.stages[0](x).shape == plain.stages[0](x).shape == (2, 16, 32)
    convs = [m for m in stem.stages[0].modules() if isinstance(m, nn.Conv2d)]
    assert [m.stride for m in convs] == [(2, 2)] * 3 + [(1, 1)]  # log2(8) stride-2 convs, then 1x1


def test_conv_stem_needs_a_power_of_two_patch():
    with pytest.raises(UserError, match="power of 2"):
        create("vit_tiny", embed_dim=32, depth=1, num_heads=2, patch_size=1, conv_stem=True)
