"""fit's up-front checks, its progress bar and plain-module weightings."""

from __future__ import annotations

import pytest
import torch
from fit_helpers import fit
from torch import nn

from mtlkit.backbones import create
from mtlkit.errors import UserError
from mtlkit.models import HardSharing
from mtlkit.train.checks import batch_sizes, single_value_batch_norms

FIT = {"lr": 3e-3, "progress": False, "augment": False}


class LinearModel(nn.Module):
    """No BatchNorm: a linear classifier per task on the flattened image."""

    def __init__(self, tasks: dict[str, int]) -> None:
        super().__init__()
        self.tasks = dict(tasks)
        self.heads = nn.ModuleDict({t: nn.Linear(3 * 32 * 32, k) for t, k in tasks.items()})

    def forward(self, x):
        return {t: head(x.flatten(1)) for t, head in self.heads.items()}


@pytest.mark.parametrize("kwargs", [{"epochs": True}, {"batch_size": True}, {"epochs": 2.0}])
def test_bools_and_floats_are_not_counts(small_shapes, make_model, kwargs):
    train, val = small_shapes
    settings = {"epochs": 1, "batch_size": 64, **FIT, **kwargs}
    name = next(iter(kwargs))
    with pytest.raises(UserError, match=f"{name} must be a positive integer, got {kwargs[name]!r}"):
        fit(make_model(train.tasks), train, val, **settings)


def resnet_with_1x1_maps(tasks: dict[str, int]) -> HardSharing:
    """ResNet-18 with the ImageNet stem: 32x32 -> 1x1 in the last stage, whose BatchNorms then see one
    value per channel for a batch of one image."""
    torch.manual_seed(0)
    return HardSharing(create("resnet18", stem="imagenet"), tasks)


def test_batch_size_1_with_single_value_batchnorms_is_refused_before_training(small_shapes):
    train, val = small_shapes
    with pytest.raises(UserError, match=r"batch of 1 image, and the model's BatchNorm layer\(s\) backbone"):
        fit(resnet_with_1x1_maps(train.tasks), train.take(8), val, epochs=1, batch_size=1, **FIT)


def test_a_one_image_training_set_with_single_value_batchnorms_is_refused(small_shapes):
    train, val = small_shapes
    with pytest.raises(UserError, match="batch_size 64 gives a training batch of 1 image"):
        fit(resnet_with_1x1_maps(train.tasks), train.take(1), val, epochs=1, batch_size=64, **FIT)


def test_batch_size_1_trains_when_batchnorm_sees_several_values_per_channel(small_shapes, make_model):
    train, val = small_shapes
    model = make_model(train.tasks)  # tiny_cnn: BatchNorm on 32x32 .. 8x8 maps, then global pooling
    history = fit(model, train.take(4), val, epochs=1, batch_size=1, **FIT)
    assert len(history.epochs) == 1


def test_the_probe_changes_no_batchnorm_statistics(small_shapes):
    model = resnet_with_1x1_maps(small_shapes[0].tasks).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert single_value_batch_norms(model, (3, 32, 32))
    assert model.training
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_batch_size_1_without_batchnorm_trains(small_shapes):
    train, val = small_shapes
    history = fit(LinearModel(train.tasks), train.take(4), val, epochs=1, batch_size=1, **FIT)
    assert len(history.epochs) == 1


def test_per_process_batch_sizes():
    assert batch_sizes(10, 4, drop_last=False) == [4, 4, 2]
    assert batch_sizes(10, 4, drop_last=True) == [4, 4]
    assert batch_sizes(10, 4, drop_last=False, world_size=2) == [2, 2, 1]
    assert batch_sizes(9, 4, drop_last=False, world_size=2) == [2, 2]  # a batch of 1 < 2 ranks: skipped
    assert batch_sizes(9, 4, drop_last=False, world_size=3) == [1, 1]  # slices of 4: 2, 1, 1
    assert batch_sizes(3, 1, drop_last=True, world_size=2) == []


def test_batchnorm_per_process_slice_of_1_is_refused():
    from mtlkit.train.checks import check_batches

    model = resnet_with_1x1_maps({"fine": 3})
    image = (3, 32, 32)
    with pytest.raises(UserError, match=r"1 image per process \(2 processes\).*at least 4 images"):
        check_batches(model, batch_sizes(100, 3, drop_last=True, world_size=2), 3, 2, image)
    with pytest.raises(UserError, match="leaves no training batch per process"):
        check_batches(model, batch_sizes(100, 1, drop_last=True, world_size=2), 1, 2, image)


def test_the_batch_bar_knows_its_total(small_shapes, make_model, monkeypatch):
    import tqdm.auto

    made = []

    class Recorder(tqdm.std.tqdm):
        def __init__(self, *args, **kwargs):
            made.append(kwargs)
            super().__init__(*args, **{**kwargs, "disable": True})

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorder)
    train, val = small_shapes
    fit(make_model(train.tasks), train.take(200), val, epochs=1, batch_size=64, **{**FIT, "progress": True})
    batch_bars = [k for k in made if k.get("desc") == "batches"]
    assert [k["total"] for k in batch_bars] == [3]  # 200 // 64, the last partial batch dropped


class SumOfLosses(nn.Module):
    """A plain nn.Module weighting: no weights, epoch_end or backward."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, losses):
        return self.scale * sum(losses.values())


def test_a_plain_module_weighting_trains_with_the_fallbacks(small_shapes, make_model):
    train, val = small_shapes
    weighting = SumOfLosses()
    history = fit(make_model(train.tasks), train, val, epochs=2, batch_size=64, weighting=weighting, **FIT)
    assert [r["weights"] for r in history.epochs] == [{}, {}]  # nothing to report
    assert weighting.scale.item() != 1.0  # its own parameter was optimised


def test_a_plain_module_with_a_weights_tensor_reports_nothing(small_shapes, make_model):
    train, val = small_shapes
    weighting = SumOfLosses()
    weighting.weights = nn.Parameter(torch.ones(2))
    history = fit(make_model(train.tasks), train, val, epochs=1, batch_size=64, weighting=weighting, **FIT)
    assert history.epochs[0]["weights"] == {}


class Broken(nn.Module):
    def forward(self, losses):
        return torch.stack(list(losses.values()))  # a vector, not the total


@pytest.mark.parametrize(
    ("weighting", "message"),
    [
        (lambda losses: sum(losses.values()), "must be a torch.nn.Module, got function"),
        (nn.Module(), "has no forward"),
        (Broken(), r"returned \(2,\), not the total loss"),
    ],
)
def test_an_unusable_weighting_is_one_user_error(small_shapes, make_model, weighting, message):
    train, val = small_shapes
    with pytest.raises(UserError, match=f"{message}.*subclass mtlkit.weighting.Weighting"):
        fit(make_model(train.tasks), train, val, epochs=1, batch_size=64, weighting=weighting, **FIT)


def test_coarse_from_fine_needs_the_mapping_on_the_logits_device():
    from mtlkit.train.losses import coarse_from_fine_correct

    with pytest.raises(ValueError, match="coarse_of_fine is on meta"):
        coarse_from_fine_correct(
            torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), torch.zeros(3, device="meta")
        )
