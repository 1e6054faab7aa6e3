import pytest
import torch
from fit_helpers import fit

from mtlkit.errors import UserError
from mtlkit.train import evaluate
from mtlkit.weighting import create as create_weighting

FIT = {"batch_size": 64, "lr": 3e-3, "progress": False, "augment": False}


def test_a_model_overfits_a_tiny_batch(small_shapes, make_model):
    tiny = small_shapes[0].take(32)
    model = make_model(tiny.tasks, width=16)
    fit(
        model,
        tiny,
        None,
        epochs=60,
        batch_size=32,
        lr=1e-2,
        weight_decay=0.0,
        schedule="constant",
        augment=False,
        progress=False,
    )
    result = evaluate(model, tiny)
    assert result["fine"]["acc"] == 1.0 and result["coarse"]["acc"] == 1.0


def test_history_has_one_record_per_epoch_with_every_metric(small_shapes, make_model):
    train, val = small_shapes
    history = fit(make_model(train.tasks), train, val, epochs=2, **FIT)
    assert [r["epoch"] for r in history.epochs] == [1, 2]
    record = history.epochs[-1]
    assert set(record["train"]) == {"fine", "coarse"}
    assert {"fine", "coarse", "coarse_from_fine"} <= set(record["val"])
    assert record["weights"] == {"fine": 1.0, "coarse": 1.0}
    assert record["seconds"] > 0 and record["images_per_s"] > 0


def test_same_seed_gives_the_same_metrics(small_shapes, make_model):
    train, val = small_shapes
    runs = [
        fit(make_model(train.tasks), train, val, epochs=2, seed=3, **{**FIT, "augment": True})
        for _ in range(2)
    ]
    assert [r["val"] for r in runs[0].epochs] == [r["val"] for r in runs[1].epochs]
    assert [r["train"] for r in runs[0].epochs] == [r["train"] for r in runs[1].epochs]


def test_a_different_seed_changes_the_run(small_shapes, make_model):
    train, val = small_shapes
    a = fit(make_model(train.tasks), train, val, epochs=1, seed=0, **{**FIT, "augment": True})
    b = fit(make_model(train.tasks), train, val, epochs=1, seed=1, **{**FIT, "augment": True})
    assert a.epochs[0]["train"] != b.epochs[0]["train"]


def test_the_best_validation_epoch_is_restored(small_shapes, make_model, tmp_path):
    train, val = small_shapes
    # No class-0 image in val: fine classes 0-2 form coarse class 0 (coarse_of_fine = fine // 3)
    val = val.subset(val.labels["fine"] >= 3)
    assert (val.labels["coarse"] > 0).all()
    model = make_model(train.tasks)

    def break_after_two(record):
        # NaN weights from epoch 3 on (NaN stays NaN through training): every later prediction is the
        # first class, absent from val, so later epochs score 0 and, a tie keeping the earlier epoch,
        # the best epoch is 1 or 2 by construction
        if record["epoch"] == 2:
            with torch.no_grad():
                for p in model.parameters():
                    p.fill_(float("nan"))

    history = fit(model, train, val, epochs=4, checkpoint_dir=tmp_path, callbacks=[break_after_two], **FIT)
    scores = [(r["val"]["fine"]["acc"] + r["val"]["coarse"]["acc"]) / 2 for r in history.epochs]
    assert scores[2:] == [0.0, 0.0]
    assert history.best_epoch in (1, 2) and history.best_epoch < history.epochs[-1]["epoch"] == 4
    assert history.best_epoch == 1 + scores.index(max(scores))  # the first epoch with the best score
    best = torch.load(tmp_path / "best.pt", weights_only=False)
    assert best["epoch"] == history.best_epoch
    for key, value in model.state_dict().items():
        assert torch.equal(value, best["model"][key]), key
    assert not any(torch.isnan(p).any() for p in model.parameters())  # the NaN weights were replaced
    assert evaluate(model, val)["fine"]["acc"] == pytest.approx(history.best["val"]["fine"]["acc"])


def test_resuming_after_an_interruption_matches_an_uninterrupted_run(small_shapes, make_model, tmp_path):
    train, val = small_shapes
    settings = {**FIT, "augment": True, "seed": 5}
    weighting = create_weighting("dwa", train.tasks)
    straight = fit(make_model(train.tasks), train, val, epochs=3, weighting=weighting, **settings)

    class Stop(Exception):
        pass

    def stop_after_two(record):
        if record["epoch"] == 2:
            raise Stop

    with pytest.raises(Stop):
        fit(
            make_model(train.tasks),
            train,
            val,
            epochs=3,
            weighting=create_weighting("dwa", train.tasks),
            checkpoint_dir=tmp_path,
            callbacks=[stop_after_two],
            **settings,
        )
    model = make_model(train.tasks, seed=99)  # different initial weights: the checkpoint must win
    resumed = fit(
        model,
        train,
        val,
        epochs=3,
        weighting=create_weighting("dwa", train.tasks),
        checkpoint_dir=tmp_path,
        resume=True,
        **settings,
    )
    assert [r["val"] for r in resumed.epochs] == [r["val"] for r in straight.epochs]
    assert [r["weights"] for r in resumed.epochs] == [r["weights"] for r in straight.epochs]


def test_the_weighting_parameters_are_trained(small_shapes, make_model):
    train, val = small_shapes
    weighting = create_weighting("uncertainty", train.tasks)
    fit(make_model(train.tasks), train, val, epochs=1, weighting=weighting, **FIT)
    assert any(w != 1.0 for w in weighting.weights.values())


def test_bf16_autocast_on_cpu_trains_with_finite_losses(small_shapes, make_model):
    train, val = small_shapes
    history = fit(make_model(train.tasks), train.take(128), val, epochs=1, amp="bf16", **FIT)
    assert all(torch.isfinite(torch.tensor(m["loss"])) for m in history.epochs[0]["train"].values())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"label_smoothing": 1.0}, "label_smoothing"),
        ({"select": "best"}, "selection criterion"),
        ({"resume": True}, "checkpoint_dir"),
        ({"optimizer": "adam2"}, "optimizer"),
        ({"schedule": "cosin"}, "schedule"),
    ],
)
def test_bad_arguments_are_user_errors(small_shapes, make_model, kwargs, message):
    train, val = small_shapes
    settings = {**FIT, "epochs": 1, **kwargs}
    with pytest.raises(UserError, match=message):
        fit(make_model(train.tasks), train, val, **settings)


def test_a_task_missing_from_the_data_is_a_user_error(small_shapes, make_model):
    train, val = small_shapes
    with pytest.raises(UserError, match="no labels for task"):
        fit(make_model({"fine": 12, "colour": 3}), train, val, epochs=1, **FIT)
