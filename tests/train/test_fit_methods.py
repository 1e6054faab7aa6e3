"""The MTL methods through ``fit``: the soft-sharing regulariser is really added, DWA gets its epoch
losses, and every architecture x weighting trains under bf16 autocast (tiny shapes set, tiny CNN)."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from fit_helpers import fit

from mtlkit.data import load
from mtlkit.errors import UserError
from mtlkit.models import archs, build
from mtlkit.weighting import create, names

FAST = {"progress": False, "augment": False, "device": "cpu", "schedule": "constant", "weight_decay": 0.0}


@pytest.fixture(scope="module")
def tiny():
    """About 40 training images (a 48-image shapes pool, 10% held out)."""
    return load("shapes", "train", size=48)


def make(arch: str, tasks: dict[str, int], **options):
    torch.manual_seed(0)
    return build(arch, "tiny_cnn", tasks, backbone_kwargs={"width": 4}, **options)


def column_distance(model) -> float:
    """Squared distance between the two columns' coupled parameters (backbone and trunk)."""
    a, b = (model.coupled_parameters(t) for t in model.tasks)
    return sum((p - q).square().sum().item() for p, q in zip(a, b, strict=True))


def test_fit_adds_the_soft_sharing_regularizer(tiny):
    distances = {}
    for coupling in (0.0, 10.0):
        model = make("soft", tiny.tasks, coupling=coupling)
        assert column_distance(model) == 0.0  # same_init: both start as the same network
        fit(model, tiny, None, epochs=3, batch_size=16, lr=1e-2, **FAST)
        distances[coupling] = column_distance(model)
    assert distances[0.0] > 0.0
    assert distances[10.0] < 0.5 * distances[0.0]


def test_fit_feeds_dwa_the_epoch_mean_train_losses(tiny):
    model = make("hard", tiny.tasks)
    history = fit(model, tiny, None, weighting=create("dwa", tiny.tasks), epochs=3, batch_size=16, **FAST)
    weights = [record["weights"] for record in history.epochs]
    assert weights[:2] == [{"fine": 1.0, "coarse": 1.0}] * 2  # no two past epochs yet
    losses = [record["train"] for record in history.epochs]
    ratio = {t: losses[1][t]["loss"] / losses[0][t]["loss"] for t in tiny.tasks}  # w_k(2) = L_k(2) / L_k(1)
    norm = sum(math.exp(r / 2.0) for r in ratio.values())
    expected = {t: 2 * math.exp(r / 2.0) / norm for t, r in ratio.items()}
    assert weights[2] == pytest.approx(expected, rel=1e-9)
    assert weights[2] != weights[1]


def rejected(arch: str, weighting: str) -> bool:
    """GradNorm needs a layer every task shares: soft sharing and single-task models have none."""
    return weighting == "gradnorm" and arch in ("single", "soft")


@pytest.mark.parametrize("weighting", names())
@pytest.mark.parametrize("arch", archs())
def test_every_architecture_and_weighting_trains_under_bf16(tiny, arch, weighting):
    tasks = {"fine": tiny.tasks["fine"]} if arch == "single" else dict(tiny.tasks)
    model = make(arch, tasks)
    run = {"weighting": create(weighting, tasks), "epochs": 1, "batch_size": 16, "amp": "bf16", **FAST}
    if rejected(arch, weighting):
        with pytest.raises(UserError, match="gradnorm"):
            fit(model, tiny, None, **run)
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PCGrad: the model has no shared parameters")
        history = fit(model, tiny, None, **run)
    (record,) = history.epochs
    assert all(math.isfinite(record["train"][t]["loss"]) for t in tasks)
    assert all(math.isfinite(w) for w in record["weights"].values())
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_a_weighting_the_model_cannot_use_is_refused_before_the_data_is_loaded(tiny, monkeypatch):
    import mtlkit.data

    def no_loader(*args, **kwargs):
        raise AssertionError("fit loaded the data before checking the weighting")

    monkeypatch.setattr(mtlkit.data, "DeviceLoader", no_loader)
    model = make("soft", dict(tiny.tasks))
    with pytest.raises(UserError, match="gradnorm"):
        fit(model, tiny, None, weighting=create("gradnorm", tiny.tasks), epochs=1, batch_size=16, **FAST)
