import pytest
import torch

from mtlkit.backbones import create
from mtlkit.errors import UserError


def vit_parameters(dim: int, depth: int, tokens: int, patch: int = 4, mlp_ratio: int = 4) -> int:
    """Hand count: patch conv + position + depth * (2 LN, qkv, proj, fc1, fc2) + final LN."""
    hidden = mlp_ratio * dim
    block = 2 * 2 * dim + (dim * 3 * dim + 3 * dim) + (dim * dim + dim) + (dim * hidden + hidden)
    block += hidden * dim + dim
    return (3 * patch * patch * dim + dim) + tokens * dim + depth * block + 2 * dim


def count(model):
    return sum(p.numel() for p in model.parameters())


def test_vit_tiny_shape_and_parameters(built):
    model = built("vit_tiny")
    assert len(model.stages) == 13 and model.stage_dims == [192] * 13
    assert [len(b.attn.qkv.weight) // 3 // b.attn.num_heads for b in model.stages[1:]] == [64] * 12
    assert count(model) == vit_parameters(192, 12, 64) == 5_360_448


def test_vit_small_shape_and_parameters(built):
    model = built("vit_small")
    assert model.stages[1].attn.num_heads == 6
    assert count(model) == vit_parameters(384, 12, 64)


def test_overrides_change_depth_and_width():
    model = create("vit_tiny", embed_dim=64, depth=3, num_heads=2)
    assert model.num_features == 64 and len(model.stages) == 4
    assert count(model) == vit_parameters(64, 3, 64)


def test_patch_size_sets_token_count():
    model = create("vit_tiny", depth=1, patch_size=8).eval()
    with torch.no_grad():
        assert model.stages[0](torch.randn(1, 3, 32, 32)).shape == (1, 16, 192)


def test_class_token_pooling_uses_token_zero():
    model = create("vit_tiny", depth=1, global_pool="token").eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        tokens = model.stages[1](model.stages[0](x))
        assert tokens.shape == (2, 65, 192)
        torch.testing.assert_close(model(x), model.pool.norm(tokens)[:, 0])
    assert count(model) == vit_parameters(192, 1, 65) + 192  # + class token


def test_average_pooling_is_mean_of_normed_tokens():
    model = create("vit_tiny", depth=1).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        tokens = model.stages[1](model.stages[0](x))
        torch.testing.assert_close(model(x), model.pool.norm(tokens).mean(1))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"embed_dim": 100, "num_heads": 3}, "embed_dim .100. must be divisible by num_heads .3."),
        ({"patch_size": 5}, "patch_size must divide the image size 32"),
        ({"global_pool": "max"}, "global_pool must be one of avg, token"),
        ({"depth": 0}, "depth must be a positive integer"),
    ],
)
def test_bad_values_are_user_errors(options, message):
    with pytest.raises(UserError, match=message):
        create("vit_small", **options)


def test_unknown_option_lists_valid_ones():
    with pytest.raises(
        UserError, match=r"no option 'dim'; valid options: embed_dim=192, depth=12, num_heads=3"
    ):
        create("vit_tiny", dim=64)
