"""A plain ``nn.Module`` loss combiner is wrapped once into the Weighting interface (as_weighting)."""

import pytest
import torch
from torch import nn

from mtlkit.errors import UserError
from mtlkit.weighting import Weighting, as_weighting, create, names


class MeanOfLosses(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0  # a public plain attribute: checkpointed with the wrapper

    def forward(self, losses):
        self.calls += 1
        return torch.stack(list(losses.values())).mean()


def test_a_weighting_is_used_as_it_is():
    weighting = create("dwa", ["a", "b"])
    assert as_weighting(weighting, ["a", "b"]) is weighting


def test_a_plain_module_gets_the_defaults():
    weighting = as_weighting(MeanOfLosses(), ["a", "b"])
    assert isinstance(weighting, Weighting) and not weighting.gradient_method
    x = nn.Parameter(torch.tensor(2.0))
    total = weighting.backward({"a": x * 3, "b": x * 5}, [x])
    assert total.item() == pytest.approx(8.0) and x.grad.item() == pytest.approx(4.0)
    assert weighting.weights == {}
    weighting.epoch_end({"a": 1.0, "b": 2.0})  # nothing to do, no error


def test_a_plain_modules_attributes_survive_a_state_dict_round_trip():
    weighting = as_weighting(MeanOfLosses(), ["a", "b"])
    weighting({"a": torch.tensor(1.0), "b": torch.tensor(2.0)})
    fresh = as_weighting(MeanOfLosses(), ["a", "b"])
    fresh.load_state_dict(weighting.state_dict())
    assert fresh.module.calls == 1


@pytest.mark.parametrize(
    ("weighting", "message"),
    [
        (lambda losses: sum(losses.values()), "must be a torch.nn.Module, got function"),
        (nn.Module(), "has no forward"),
    ],
)
def test_anything_else_is_refused_with_what_to_do(weighting, message):
    with pytest.raises(UserError, match=f"{message}.*subclass mtlkit.weighting.Weighting"):
        as_weighting(weighting, ["a", "b"])


def test_only_the_per_task_gradient_methods_say_so():
    gradient = {name for name in names() if create(name, ["a", "b"]).gradient_method}
    assert gradient == {"gradnorm", "pcgrad"}
