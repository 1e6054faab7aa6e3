import pytest
import torch

from mtlkit.errors import UserError
from mtlkit.weighting import Equal, Static, create, names


def losses(fine: float, coarse: float) -> dict[str, torch.Tensor]:
    return {
        "fine": torch.tensor(fine, requires_grad=True),
        "coarse": torch.tensor(coarse, requires_grad=True),
    }


def test_static_gamma_mixes_fine_and_coarse():
    w = Static.gamma(0.25, {"coarse": 2, "fine": 10})
    assert w.weights == {"fine": 0.25, "coarse": 0.75}
    assert w(losses(2.0, 4.0)).item() == pytest.approx(0.25 * 2 + 0.75 * 4)


def test_static_gamma_without_fine_coarse_names_weights_the_first_task():
    assert create("static", ["a", "b"], gamma=0.9).weights == pytest.approx({"a": 0.9, "b": 0.1})


def test_static_explicit_weights_and_gradient():
    w = create("static", {"fine": 10, "coarse": 2}, weights={"fine": 3.0, "coarse": 0.5})
    ls = losses(1.5, 2.0)
    total = w.backward(ls, [])
    assert total.item() == pytest.approx(3.0 * 1.5 + 0.5 * 2.0)
    assert ls["fine"].grad.item() == 3.0 and ls["coarse"].grad.item() == 0.5
    assert not total.requires_grad


def test_equal_is_the_plain_sum():
    w = Equal(["fine", "coarse"])
    assert w(losses(1.25, 0.5)).item() == 1.75
    assert w.weights == {"fine": 1.0, "coarse": 1.0}
    assert create("static", ["fine", "coarse"]).weights == w.weights


def test_bf16_losses_are_summed_in_float32():
    w = Equal(["a", "b"])
    total = w({"a": torch.tensor(1.0, dtype=torch.bfloat16), "b": torch.tensor(2.0, dtype=torch.bfloat16)})
    assert total.dtype == torch.float32 and total.item() == 3.0


def test_missing_task_in_losses_raises():
    with pytest.raises(UserError, match="expected"):
        Equal(["fine", "coarse"])({"fine": torch.tensor(1.0)})


@pytest.mark.parametrize(
    "kwargs", [{"gamma": 1.5}, {"gamma": 0.5, "weights": {"fine": 1, "coarse": 1}}, {"weights": {"x": 1.0}}]
)
def test_bad_static_options_raise(kwargs):
    with pytest.raises(UserError):
        create("static", ["fine", "coarse"], **kwargs)


def test_negative_static_weight_raises():
    with pytest.raises(UserError, match=">= 0"):
        Static({"a": -1.0, "b": 1.0})


def test_create_unknown_name_lists_the_names():
    with pytest.raises(UserError, match="dwa, equal, gradnorm, pcgrad, static, uncertainty"):
        create("mgda", ["a", "b"])


def test_create_bad_option_raises_and_names_valid_ones():
    with pytest.raises(UserError, match="temperature"):
        create("dwa", ["a", "b"], temp=2.0)
    with pytest.raises(UserError, match="none"):
        create("equal", ["a", "b"], gamma=0.5)


def test_names_in_design_order():
    assert names() == ["equal", "static", "uncertainty", "dwa", "gradnorm", "pcgrad"]


@pytest.mark.parametrize("tasks", [[], ["a", "a"]])
def test_bad_task_lists_raise(tasks):
    with pytest.raises(UserError):
        Equal(tasks)


@pytest.mark.parametrize("name", [n for n in names() if n != "gradnorm"])
def test_every_other_weighting_accepts_any_model(name):
    from mtlkit.models import build

    with torch.device("meta"):
        model = build("single", "tiny_cnn", {"fine": 10})  # no shared parameters
    assert create(name, {"fine": 10}).check_model(model) is None
