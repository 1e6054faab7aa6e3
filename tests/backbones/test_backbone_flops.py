import torch
from torch import nn

from mtlkit.backbones import count_flops


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
