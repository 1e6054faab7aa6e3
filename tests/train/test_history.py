import csv
import json

from mtlkit.train.history import History, selection_score


def _record(epoch, fine_acc, coarse_acc, loss=1.0):
    metrics = {"fine": {"acc": fine_acc, "loss": loss}, "coarse": {"acc": coarse_acc, "loss": loss}}
    return {
        "epoch": epoch,
        "lr": 0.1,
        "train": metrics,
        "val": metrics,
        "weights": {"fine": 0.5, "coarse": 0.5},
        "seconds": 1.0,
        "images_per_s": 100.0,
    }


def test_selection_score_is_the_mean_accuracy_or_minus_the_loss():
    val = {"fine": {"acc": 0.5, "loss": 2.0}, "coarse": {"acc": 0.9, "loss": 0.5}}
    assert selection_score(val, ["fine", "coarse"], "mean_acc") == 0.7
    assert selection_score(val, ["fine", "coarse"], "loss") == -2.5


def test_best_epoch_is_the_first_with_the_highest_validation_score():
    h = History(tasks=["fine", "coarse"])
    flags = [
        h.append(_record(e, f, c))
        for e, (f, c) in enumerate([(0.2, 0.6), (0.5, 0.7), (0.5, 0.7), (0.4, 0.6)], 1)
    ]
    assert flags == [True, True, False, False]
    assert h.best_epoch == 2 and h.best["epoch"] == 2


def test_series_and_weights_for_plots():
    h = History(tasks=["fine", "coarse"])
    h.append(_record(1, 0.2, 0.6))
    h.append(_record(2, 0.3, 0.7))
    assert h.series("val", "fine", "acc") == [0.2, 0.3]
    assert h.weight_series("coarse") == [0.5, 0.5]


def test_save_writes_json_that_round_trips_and_a_flat_csv(tmp_path):
    h = History(tasks=["fine", "coarse"])
    h.append(_record(1, 0.2, 0.6))
    h.save(tmp_path)
    assert History.from_dict(json.loads((tmp_path / "history.json").read_text())) == h
    rows = list(csv.DictReader((tmp_path / "history.csv").open()))
    assert rows[0]["val_fine_acc"] == "0.2" and rows[0]["weight_coarse"] == "0.5"
    assert not list(tmp_path.glob(".*.tmp"))
