import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from mtlkit.backbones import count_flops, create
from mtlkit.errors import UserError

# Keras ViT layer sizes: tokens 64, 4 heads of key size 64 (inner 256), MLP 128 -> 64, 144 patches of 108.
PATCH_ENCODER = (108 * 64 + 64) + 144 * 64  # Dense projection + position Embedding
ATTENTION = 3 * (64 * 256 + 256) + (256 * 64 + 64)  # query, key, value, output
MLP = (64 * 128 + 128) + (128 * 64 + 64)
BLOCK = 2 * (2 * 64) + ATTENTION + MLP  # + two LayerNorms
VIT_SEED_PARAMETERS = PATCH_ENCODER + 8 * BLOCK + 2 * 64  # + final LayerNorm


def test_parameter_count_by_hand(built):
    assert sum(p.numel() for p in built("vit_seed").parameters()) == VIT_SEED_PARAMETERS == 681_920


def test_144_tokens_of_64_and_9216_features(built):
    model = built("vit_seed")
    assert len(model.stages) == 9 and model.stage_dims == [64] * 9
    with torch.no_grad():
        tokens = model.stages[0](torch.randn(2, 3, 32, 32))
        assert tokens.shape == (2, 144, 64)
        assert model.pool(tokens).shape == (2, 144 * 64) == (2, model.num_features)


def test_patch_encoder_resizes_bilinearly_then_projects_patches(built):
    encoder = built("vit_seed").stages[0]
    x = torch.randn(1, 3, 32, 32)
    big = F.interpolate(x, size=(72, 72), mode="bilinear", align_corners=False)
    patch = big[0, :, 6:12, 12:18]  # row 1, column 2 of the 12x12 grid -> token 1*12 + 2
    weight = encoder.projection.weight.reshape(64, -1)
    expected = weight @ patch.reshape(-1) + encoder.projection.bias + encoder.position_embedding[0, 14]
    with torch.no_grad():
        torch.testing.assert_close(encoder(x)[0, 14], expected, rtol=1e-5, atol=1e-5)


def test_attention_matches_keras_formula(built):
    attention = built("vit_seed").stages[1].attention
    x = torch.randn(2, 5, 64)

    def heads(layer):
        return layer(x).reshape(2, 5, 4, 64).transpose(1, 2)

    q, k, v = heads(attention.query), heads(attention.key), heads(attention.value)
    weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(64), dim=-1)
    expected = attention.output((weights @ v).transpose(1, 2).reshape(2, 5, 256))
    with torch.no_grad():
        torch.testing.assert_close(attention(x), expected, rtol=1e-5, atol=1e-5)


def test_block_is_prenorm_with_gelu_after_both_mlp_layers(built):
    block = built("vit_seed").stages[1]
    assert block.norm1.eps == block.norm2.eps == 1e-6
    kinds = [type(m).__name__ for m in block.mlp]
    assert kinds == ["Linear", "GELU", "Dropout", "Linear", "GELU", "Dropout"]
    x = torch.randn(2, 144, 64)
    with torch.no_grad():
        mid = x + block.attention(block.norm1(x))
        torch.testing.assert_close(block(x), mid + block.mlp(block.norm2(mid)))


def test_pool_drops_a_fifth_of_the_features_in_training():
    model = create("vit_seed", depth=1).train()
    torch.manual_seed(0)
    features = model.pool(torch.randn(8, 144, 64))
    zero_fraction = (features == 0).float().mean().item()
    assert 0.19 < zero_fraction < 0.21  # the notebooks' mlp_dropout 0.2: 73,728 draws, std 0.0015


def test_dropout_rates_are_the_study_notebooks():
    block = create("vit_seed", depth=1).stages[1]
    assert block.attention.dropout == 0.1
    assert [m.p for m in block.mlp if isinstance(m, nn.Dropout)] == [0.2, 0.2]


def test_flops_by_hand(built):
    tokens, inner = 144, 256
    per_block = 2 * tokens * (4 * 64 * inner + 2 * 64 * 128)  # q, k, v, out + MLP, 2 FLOPs per MAC
    per_block += 2 * 2 * tokens * tokens * inner  # q k^T and weights v over 4 heads of 64
    expected = 2 * tokens * 108 * 64 + 8 * per_block
    assert count_flops(built("vit_seed")) == expected == 360_603_648


def test_bad_patch_size_is_user_error():
    with pytest.raises(UserError, match=r"patch_size \(5\) must divide image_size \(72\)"):
        create("vit_seed", patch_size=5)
