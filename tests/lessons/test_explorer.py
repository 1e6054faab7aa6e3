"""The weighting explorer (mtlkit.explorer), driven headless: set widget values, click Run, check History."""

from __future__ import annotations

import math
import sys

import matplotlib
import pytest

matplotlib.use("Agg")

from mtlkit.errors import UserError
from mtlkit.explorer import METHODS, WeightingExplorer, plot_history, weighting_kwargs

SIZE = 96  # a 96-image shapes pool: 84 train, 12 validation images; an epoch takes a fraction of a second


@pytest.fixture(scope="module")
def splits():
    from mtlkit.data import load

    return load("shapes", "train", size=SIZE), load("shapes", "val", size=SIZE)


@pytest.fixture
def explorer(splits):
    train, val = splits
    return WeightingExplorer(train, val, width=4, batch_size=32, device="cpu", live=False)


def click(explorer, **values):
    for name, value in values.items():
        getattr(explorer, name).value = value
    explorer.button.click()
    assert explorer.error is None, explorer.error
    return explorer.history


def test_static_gamma_gives_gamma_and_one_minus_gamma(explorer):
    history = click(explorer, method="static", gamma=0.3, epochs=2)
    assert history.weight_series("fine") == pytest.approx([0.3, 0.3])
    assert history.weight_series("coarse") == pytest.approx([0.7, 0.7])
    assert len(explorer.records) == 2, "the callback saw every epoch"


def test_dwa_weights_are_one_for_two_epochs_then_follow_the_loss_ratios(explorer):
    history = click(explorer, method="dwa", temperature=2.0, epochs=3)
    assert history.weight_series("fine")[:2] == [1.0, 1.0]
    assert history.weight_series("coarse")[:2] == [1.0, 1.0]
    # epoch 3 uses w_k = L_k(2) / L_k(1) of the epoch-mean training losses: lambda = 2 softmax(w / T)
    ratio = {
        t: history.series("train", t, "loss")[1] / history.series("train", t, "loss")[0]
        for t in ("fine", "coarse")
    }
    denominator = sum(math.exp(r / 2.0) for r in ratio.values())
    for task in ("fine", "coarse"):
        assert history.weight_series(task)[2] == pytest.approx(2 * math.exp(ratio[task] / 2.0) / denominator)


def test_dwa_temperature_slider_reaches_the_weighting(explorer):
    hot = click(explorer, method="dwa", temperature=10.0, epochs=3)
    spread_hot = abs(hot.weight_series("fine")[2] - hot.weight_series("coarse")[2])
    cold = click(explorer, method="dwa", temperature=0.25, epochs=3)
    spread_cold = abs(cold.weight_series("fine")[2] - cold.weight_series("coarse")[2])
    assert spread_cold > spread_hot, "a lower temperature spreads the DWA weights further from 1"


def test_equal_and_pcgrad_keep_unit_weights(explorer):
    for method in ("equal", "pcgrad"):
        history = click(explorer, method=method, epochs=1)
        assert history.weight_series("fine") == [1.0]
        assert history.weight_series("coarse") == [1.0]


def test_gradnorm_weights_move_and_sum_to_the_number_of_tasks(explorer):
    history = click(explorer, method="gradnorm", alpha=1.5, epochs=2)
    for fine, coarse in zip(history.weight_series("fine"), history.weight_series("coarse"), strict=True):
        assert fine + coarse == pytest.approx(2.0, abs=1e-5)
    assert history.weight_series("fine")[-1] != pytest.approx(1.0, abs=1e-4)


def test_uncertainty_weights_start_near_one_half_and_are_learned(explorer):
    history = click(explorer, method="uncertainty", epochs=2)
    weights = history.weight_series("fine")
    assert all(0.3 < w < 0.8 for w in weights), "0.5 exp(-s) with s learned from 0"
    assert weights[0] != 0.5


def test_learning_rate_and_epochs_reach_fit(explorer):
    history = click(explorer, method="equal", epochs=2, lr=1e-3)
    assert len(history.epochs) == 2
    assert history.epochs[0]["lr"] <= 1e-3 + 1e-12, "the cosine schedule starts at the chosen lr"


def test_same_settings_give_the_same_run(explorer):
    first = click(explorer, method="static", gamma=0.5, epochs=1)
    second = click(explorer, method="static", gamma=0.5, epochs=1)
    assert first.series("train", "fine", "loss") == second.series("train", "fine", "loss")


def test_only_the_chosen_methods_slider_is_enabled(explorer):
    expected = {"static": "gamma", "dwa": "temperature", "gradnorm": "alpha"}
    for method in METHODS:
        explorer.method.value = method
        enabled = [n for n in ("gamma", "temperature", "alpha") if not getattr(explorer, n).disabled]
        assert enabled == ([expected[method]] if method in expected else [])


def test_button_reports_a_rejected_setting_instead_of_raising(splits):
    from mtlkit.models import build

    train, val = splits
    soft = WeightingExplorer(
        train,
        val,
        make_model=lambda: build("soft", "tiny_cnn", train.tasks, backbone_kwargs={"width": 4}),
        device="cpu",
        live=False,
    )
    soft.method.value = "gradnorm"
    soft.epochs.value = 1
    soft.button.click()
    assert soft.error is not None and "gradnorm" in soft.error
    assert soft.status.value.startswith("error:")
    assert not soft.button.disabled, "the button is usable again"


def test_live_mode_draws_into_the_output_after_every_epoch(splits, monkeypatch):
    import mtlkit.explorer as module

    train, val = splits
    live = WeightingExplorer(train, val, width=4, batch_size=32, device="cpu", live=True)
    drawn = []
    monkeypatch.setattr(
        module, "plot_history", lambda records, title="": drawn.append(len(records)) or _figure()
    )
    click(live, method="equal", epochs=2)
    assert drawn == [1, 2]


def _figure():
    import matplotlib.pyplot as plt

    return plt.figure()


def test_plot_history_draws_weights_losses_and_accuracy(explorer):
    history = click(explorer, method="static", gamma=0.3, epochs=2)
    fig = plot_history(history, title="t")
    weights_ax, loss_ax, acc_ax = fig.axes
    assert list(weights_ax.lines[0].get_ydata()) == pytest.approx([0.3, 0.3])
    assert len(loss_ax.lines) == 4, "train and validation loss of each task"
    assert len(acc_ax.lines) == 2


def test_weighting_kwargs_and_unknown_method():
    assert weighting_kwargs("static", 0.3, 2.0, 1.5) == {"gamma": 0.3}
    assert weighting_kwargs("dwa", 0.3, 4.0, 1.5) == {"temperature": 4.0}
    assert weighting_kwargs("gradnorm", 0.3, 2.0, 1.0) == {"alpha": 1.0}
    assert weighting_kwargs("pcgrad", 0.3, 2.0, 1.0) == {}
    with pytest.raises(UserError, match="choose one of"):
        weighting_kwargs("mgda", 0.3, 2.0, 1.0)


def test_unknown_initial_method_is_a_user_error(splits):
    with pytest.raises(UserError, match="choose one of"):
        WeightingExplorer(*splits, method="nash")


def test_without_ipywidgets_the_explorer_says_what_to_install(splits, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets fails
    with pytest.raises(UserError, match=r"pip install 'ipywidgets>=7.7'"):
        WeightingExplorer(*splits, device="cpu")
