import torch

from mtlkit.backbones import create


def test_parameter_count_by_hand():
    # conv weights 3x3 (no bias) + BN (weight, bias) per block, widths 32-64-128-128
    convs = 9 * (3 * 32 + 32 * 64 + 64 * 128 + 128 * 128)
    bns = 2 * (32 + 64 + 128 + 128)
    model = create("tiny_cnn")
    assert sum(p.numel() for p in model.parameters()) == convs + bns == 241_184


def test_width_scales_features_and_stage_maps():
    model = create("tiny_cnn", width=8).eval()
    assert model.num_features == 32
    assert model.stage_dims == [8, 16, 32, 32]
    x = torch.randn(2, 3, 32, 32)
    sizes = []
    for stage in model.stages:
        x = stage(x)
        sizes.append(tuple(x.shape[1:]))
    assert sizes == [(8, 16, 16), (16, 8, 8), (32, 4, 4), (32, 4, 4)]
