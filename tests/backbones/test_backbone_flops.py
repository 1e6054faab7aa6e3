import pytest
import torch
from torch import nn

from mtlkit.backbones import count_flops
from mtlkit.backbones.flops import attention_flops, flop_counter


def test_linear_is_two_flops_per_multiply_add():
    assert count_flops(nn.Linear(7, 5), input_size=(3, 7)) == 2 * 7 * 5 * 3


def test_conv_counts_every_output_position():
    conv = nn.Conv2d(3, 4, kernel_size=3, padding=1, bias=False)
    assert count_flops(conv, input_size=(2, 3, 8, 8)) == 2 * (3 * 9) * 4 * 8 * 8 * 2


def test_elementwise_ops_are_free():
    assert count_flops(nn.Sequential(nn.ReLU(), nn.BatchNorm2d(3))) == 0


def test_tiny_cnn_flops_by_hand():
    from mtlkit.backbones import create

    macs = 9 * (3 * 32 * 32 * 32 + 32 * 64 * 16 * 16 + 64 * 128 * 8 * 8 + 128 * 128 * 4 * 4)
    assert count_flops(create("tiny_cnn")) == 2 * macs


def test_training_mode_is_restored_and_no_gradients_kept():
    model = nn.Linear(4, 2).train()
    count_flops(model, input_size=(1, 4))
    assert model.training and model.weight.grad is None
    model.eval()
    count_flops(model, input_size=(1, 4))
    assert not model.training


def test_input_follows_model_dtype():
    model = nn.Linear(4, 2).to(torch.float64)
    assert count_flops(model, input_size=(1, 4)) == 16


class SelfAttention(nn.Module):
    """Bare ``softmax(q k^T / sqrt(d)) v`` with q = k = v = the input split into ``heads``."""

    def __init__(self, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.anchor = nn.Parameter(torch.zeros(()))  # count_flops reads device/dtype from a parameter

    def forward(self, x):
        q = x.unflatten(-1, (self.heads, -1)).transpose(1, 2)
        return torch.nn.functional.scaled_dot_product_attention(q, q, q)


@pytest.mark.parametrize(("tokens", "width", "heads"), [(144, 256, 4), (65, 192, 3), (7, 8, 1)])
def test_attention_costs_4_n_squared_d(tokens, width, heads):
    # q k^T: N x N dot products of length d; weights v: the same again; 2 FLOPs per multiply-add
    assert count_flops(SelfAttention(heads), input_size=(1, tokens, width)) == 4 * tokens**2 * width


def test_attention_scales_with_batch():
    assert count_flops(SelfAttention(2), input_size=(3, 10, 16)) == 3 * 4 * 10**2 * 16


def test_attention_flops_formula_with_different_value_width():
    assert attention_flops((2, 4, 10, 16), (2, 4, 12, 16), (2, 4, 12, 8)) == 2 * 8 * 10 * 12 * (16 + 8)


def test_cpu_flash_kernel_is_counted_even_without_the_math_backend():
    from torch.nn.attention import SDPBackend, sdpa_kernel

    q = torch.randn(1, 4, 144, 64)
    with torch.no_grad(), sdpa_kernel(SDPBackend.FLASH_ATTENTION), flop_counter() as counter:
        torch.nn.functional.scaled_dot_product_attention(q, q, q)
    assert counter.get_total_flops() == 4 * 144**2 * 256


def test_vit_tiny_flops_by_hand():
    from mtlkit.backbones import create

    dim, tokens, depth = 192, 64, 2  # 4x4 patches of a 32x32 image, average pooling: no class token
    patches = 2 * tokens * (3 * 4 * 4) * dim
    linears = 2 * tokens * (3 * dim * dim + dim * dim + 2 * dim * 4 * dim)  # qkv, proj, fc1, fc2
    assert count_flops(create("vit_tiny", depth=depth)) == patches + depth * (linears + 4 * tokens**2 * dim)
