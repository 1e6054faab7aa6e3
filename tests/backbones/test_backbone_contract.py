"""The Backbone contract for every registered name: shapes, stages, pool, channels_last, autocast.

``forward`` is ``pool(stages(x))`` by construction (``Backbone.forward``); that the stages compute the
right thing is checked against timm's and torchvision's own forwards in test_backbone_reference.py.
"""

import pytest
import torch

from mtlkit.backbones import create, names

TOKENS = {"vit_tiny": 64, "vit_small": 64, "vit_seed": 144}  # 4x4 patches of 32x32; 6x6 of 72x72
FEATURES = {
    "tiny_cnn": 128,
    "resnet18": 512,
    "resnet152": 2048,
    "vit_tiny": 192,
    "vit_small": 384,
    "vit_seed": 9216,
}


@pytest.fixture
def images():
    return torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("name", names())
def test_forward_gives_num_features(built, images, name):
    model = built(name)
    assert model.num_features == FEATURES[name]
    with torch.no_grad():
        assert model(images).shape == (2, FEATURES[name])


@pytest.mark.parametrize("name", names())
def test_stage_outputs_match_stage_dims(built, images, name):
    model = built(name)
    assert isinstance(model.stages, torch.nn.ModuleList)
    assert len(model.stage_dims) == len(model.stages)
    x = images
    with torch.no_grad():
        for stage, dim in zip(model.stages, model.stage_dims, strict=True):
            x = stage(x)
            if name in TOKENS:  # token stages: [B, N, D]
                assert x.shape == (2, TOKENS[name], dim)
            else:  # conv stages: [B, C, H, W]
                assert x.ndim == 4 and x.shape[:2] == (2, dim)


@pytest.mark.parametrize("name", names())
def test_channels_last_input_gives_same_features(built, images, name):
    model = built(name)
    with torch.no_grad():
        expected = model(images)
        got = model.to(memory_format=torch.channels_last)(images.to(memory_format=torch.channels_last))
        model.to(memory_format=torch.contiguous_format)
    # different summation order only: float32 rounding relative to the feature scale
    scale = expected.abs().max().item()
    torch.testing.assert_close(got, expected, rtol=1e-3, atol=1e-5 * scale)


@pytest.mark.parametrize("name", ["tiny_cnn", "resnet18", "vit_tiny", "vit_seed"])
def test_bf16_autocast_matches_float32_and_trains(name):
    options = {"vit_tiny": {"depth": 2}, "vit_seed": {"depth": 2}}.get(name, {})
    torch.manual_seed(0)
    model = create(name, **options).eval()
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = model(images)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            got = model(images)
    assert got.shape == expected.shape
    # bf16 keeps 8 bits of mantissa: a few percent of the feature scale at most
    assert (got.float() - expected).abs().max() < 0.05 * expected.abs().max()
    model.train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = model(images).float().square().mean()
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("name", names())
def test_parameters_are_float32_and_all_used(built, images, name):
    model = built(name).train()
    try:
        model(images).sum().backward()
        unused = [n for n, p in model.named_parameters() if p.grad is None]
        assert unused == []
        assert {p.dtype for p in model.parameters()} == {torch.float32}
    finally:
        model.zero_grad(set_to_none=True)
        model.eval()
