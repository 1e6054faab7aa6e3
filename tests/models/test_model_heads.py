import pytest
from torch import nn

from mtlkit.errors import UserError
from mtlkit.models import LinearHead, MLPHead, SeedHead, build_heads, head_spec


def linear_widths(module: nn.Module) -> list[tuple[int, int]]:
    return [(m.in_features, m.out_features) for m in module.modules() if isinstance(m, nn.Linear)]


def test_linear_head_has_no_trunk_and_one_layer_per_task():
    trunk, heads = build_heads("linear", 16, {"fine": 10, "coarse": 2})
    assert isinstance(trunk, nn.Identity)
    assert linear_widths(heads["fine"]) == [(16, 10)]
    assert linear_widths(heads["coarse"]) == [(16, 2)]


def test_mlp_head_from_object_and_dict_agree():
    spec = MLPHead(hidden=(32, 8), dropout=0.2, activation="gelu")
    assert head_spec({"type": "mlp", "hidden": [32, 8], "dropout": 0.2, "activation": "gelu"}) == spec
    _, heads = build_heads(spec, 16, {"t": 3})
    assert linear_widths(heads["t"]) == [(16, 32), (32, 8), (8, 3)]
    assert sum(isinstance(m, nn.Dropout) and m.p == 0.2 for m in heads["t"].modules()) == 2
    assert sum(isinstance(m, nn.GELU) for m in heads["t"].modules()) == 2


def test_seed_head_shared_dense_then_fine_and_coarse_towers():
    trunk, heads = build_heads("seed", 64, {"fine": 100, "coarse": 20})
    assert linear_widths(trunk) == [(64, 2048)]
    assert linear_widths(heads["fine"]) == [(2048, 1024), (1024, 512), (512, 256), (256, 128), (128, 100)]
    assert linear_widths(heads["coarse"]) == [(2048, 512), (512, 256), (256, 128), (128, 20)]
    dropouts = [m.p for m in [*trunk.modules(), *heads.modules()] if isinstance(m, nn.Dropout)]
    assert dropouts == [0.2] * (1 + 4 + 3)
    activations = [type(m) for m in [*trunk.modules(), *heads.modules()] if isinstance(m, nn.GELU | nn.ReLU)]
    assert activations == [nn.GELU] * (1 + 4 + 3)  # the study's ViT notebooks


def test_seed_head_of_the_resnet_notebooks_is_relu_without_dropout():
    trunk, heads = build_heads({"type": "seed", "activation": "relu", "dropout": 0.0}, 64, {"fine": 10})
    modules = [*trunk.modules(), *heads.modules()]
    assert not any(isinstance(m, nn.Dropout | nn.GELU) for m in modules)
    assert sum(isinstance(m, nn.ReLU) for m in modules) == 1 + 4


def test_seed_head_without_dropout_has_no_dropout_layers():
    trunk, heads = build_heads(SeedHead(dropout=0.0), 8, {"fine": 3})
    assert not any(isinstance(m, nn.Dropout) for m in [*trunk.modules(), *heads.modules()])


def test_spec_names_resolve_to_defaults():
    assert head_spec("linear") == LinearHead()
    assert head_spec("mlp") == MLPHead(hidden=(256,), dropout=0.1)
    assert head_spec("seed") == SeedHead()


@pytest.mark.parametrize(
    "spec",
    [
        "transformer",
        {"type": "mlp", "depth": 3},
        {"hidden": [3]},
        {"type": "mlp", "dropout": 1.5},
        {"type": "mlp", "activation": "swish"},
        {"type": "mlp", "hidden": [0]},
        3,
    ],
)
def test_bad_specs_raise_user_error(spec):
    with pytest.raises(UserError):
        build_heads(spec, 16, {"t": 2})


def test_unknown_name_lists_choices():
    with pytest.raises(UserError, match="linear, mlp, seed"):
        head_spec("big")
