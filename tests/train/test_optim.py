import math

import pytest
import torch
from torch import nn

from mtlkit.errors import UserError
from mtlkit.train import TrainConfig
from mtlkit.train.optim import make_optimizer, make_scheduler, param_groups, schedule_factor


def test_cosine_schedule_values():
    assert schedule_factor("cosine", 0, 100) == 1.0
    assert math.isclose(schedule_factor("cosine", 50, 100), 0.5)
    assert math.isclose(schedule_factor("cosine", 100, 100), 0.0, abs_tol=1e-12)


def test_warmup_is_linear_then_the_schedule_starts_at_one():
    assert [schedule_factor("cosine", s, 100, warmup_steps=4) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert schedule_factor("cosine", 4, 100, warmup_steps=4) == 1.0


def test_linear_and_constant_schedules():
    assert schedule_factor("linear", 25, 100) == 0.75
    assert schedule_factor("constant", 99, 100) == 1.0


def test_scheduler_follows_the_factor():
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = make_scheduler("linear", opt, total_steps=10)
    for _ in range(5):
        opt.step()
        sched.step()
    assert math.isclose(opt.param_groups[0]["lr"], 0.5)


def test_unknown_names_list_the_choices():
    with pytest.raises(UserError, match="cosine"):
        make_scheduler("cosin", torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0), 10)


@pytest.mark.parametrize(
    ("optimizer", "kind"),
    [("adamw", torch.optim.AdamW), ("adam", torch.optim.Adam), ("sgd", torch.optim.SGD)],
)
def test_the_optimiser_follows_the_recipe(optimizer, kind):
    recipe = TrainConfig(optimizer=optimizer, lr=0.02, weight_decay=0.1)
    weights = nn.Parameter(torch.zeros(2, 2))
    built = make_optimizer(recipe, [{"params": [weights]}], torch.device("cpu"))
    assert isinstance(built, kind)
    assert (built.param_groups[0]["lr"], built.param_groups[0]["weight_decay"]) == (0.02, 0.1)


def test_no_weight_decay_on_biases_norms_and_weighting_parameters():
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    weighting = nn.Module()
    weighting.log_vars = nn.Parameter(torch.zeros(2))
    groups = param_groups(model, weighting, lr=0.1, weight_decay=0.05)
    decayed = [p for g in groups if g["weight_decay"] > 0 for p in g["params"]]
    assert decayed == [model[0].weight]
    assert any(weighting.log_vars is p for g in groups if g["weight_decay"] == 0 for p in g["params"])
    assert sum(len(g["params"]) for g in groups) == 5


def test_model_param_groups_keep_their_learning_rate():
    from mtlkit.models import MultiTaskModel

    class WithGroups(MultiTaskModel):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(2, 2)
            self.alpha = nn.Parameter(torch.ones(2, 2))

        def param_groups(self, lr, optimizer=None):
            return [{"params": self.body.parameters(), "lr": lr}, {"params": [self.alpha], "lr": lr * 100}]

    groups = param_groups(WithGroups(), None, lr=0.01, weight_decay=0.0)
    assert sorted(g["lr"] for g in groups) == [0.01, 0.01, 1.0]


def test_a_plain_module_gets_one_group_and_a_multitask_model_the_default_one():
    from mtlkit.models import MultiTaskModel

    class Plain(MultiTaskModel):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(2, 2)

    for model in (nn.Linear(2, 2), Plain()):
        groups = param_groups(model, None, lr=0.01, weight_decay=0.1)
        assert [(len(g["params"]), g["lr"], g["weight_decay"]) for g in groups] == [
            (1, 0.01, 0.1),
            (1, 0.01, 0.0),
        ]


@pytest.mark.parametrize(("optimizer", "multiplier"), [("sgd", 100.0), ("adamw", 10.0)])
def test_fit_trains_cross_stitch_alphas_at_the_multiplier_of_its_optimiser(
    small_shapes, tmp_path, optimizer, multiplier
):
    """What the saved optimiser holds: the alphas' group at lr x 100 under SGD, x 10 under AdamW."""
    from fit_helpers import fit

    from mtlkit.backbones import create
    from mtlkit.models import CrossStitch
    from mtlkit.train.checkpoint import load_last

    train = small_shapes[0]
    torch.manual_seed(0)
    model = CrossStitch(lambda: create("tiny_cnn", width=4), train.tasks)
    recipe = {"epochs": 1, "batch_size": 32, "lr": 3e-3, "schedule": "constant", "augment": False}
    fit(model, train.take(64), None, optimizer=optimizer, checkpoint_dir=tmp_path, progress=False, **recipe)
    groups = load_last(tmp_path)["optimizer"]["param_groups"]
    assert {g["name"]: g["lr"] for g in groups} == {
        "columns": 3e-3,
        "alphas": pytest.approx(3e-3 * multiplier),
    }
