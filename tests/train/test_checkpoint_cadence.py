"""When fit writes its checkpoints (Cadence), and that a resume from any saved epoch is exact."""

from __future__ import annotations

import pytest
import torch
from fit_helpers import fit

from mtlkit.errors import UserError
from mtlkit.train import checkpoint
from mtlkit.train.checkpoint import AUTO_OVERHEAD, Cadence

FIT = {"batch_size": 64, "lr": 3e-3, "progress": False, "augment": True, "seed": 5}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def saved_epochs(cadence: Cadence, clock: FakeClock, epochs: int, epoch_s: float, save_s: float) -> list[int]:
    saved = []
    for done in range(1, epochs + 1):
        clock.now += epoch_s
        if cadence.due(done, epochs):
            with cadence.saving():
                clock.now += save_s
            saved.append(done)
    return saved


def test_default_on_cpu_saves_every_epoch():
    clock = FakeClock()
    assert saved_epochs(Cadence(clock=clock), clock, 4, epoch_s=1.0, save_s=5.0) == [1, 2, 3, 4]


def test_every_n_epochs_and_always_the_last():
    clock = FakeClock()
    assert saved_epochs(Cadence(every=3, clock=clock), clock, 7, epoch_s=1.0, save_s=0.0) == [3, 6, 7]


def test_at_most_one_save_per_interval():
    clock = FakeClock()
    cadence = Cadence(seconds=10, clock=clock)
    # epochs of 4 s: 10 s have passed after epochs 3, 6 (counting from the end of the previous save)
    assert saved_epochs(cadence, clock, 8, epoch_s=4.0, save_s=1.0) == [3, 6, 8]


def test_auto_on_cuda_keeps_saving_to_a_small_share_of_the_time():
    clock = FakeClock()
    cadence = Cadence(device_type="cuda", clock=clock)
    epoch_s, save_s, epochs = 2.0, 1.5, 100
    saved = saved_epochs(cadence, clock, epochs, epoch_s, save_s)
    assert saved[0] == 1 and saved[-1] == epochs  # the first save measures the cost; the last always
    # after a 1.5 s save the next waits 1.5 * 19 = 28.5 s, i.e. 15 epochs of 2 s
    assert saved[1] - saved[0] == 15
    share = len(saved) * save_s / (epochs * epoch_s + len(saved) * save_s)
    assert share <= AUTO_OVERHEAD + 0.01


def test_auto_on_cpu_is_every_epoch_whatever_a_save_costs():
    clock = FakeClock()
    assert saved_epochs(Cadence(device_type="cpu", clock=clock), clock, 3, 1.0, 100.0) == [1, 2, 3]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"every": 0}, "checkpoint_every"),
        ({"every": True}, "checkpoint_every"),
        ({"every": 1.5}, "checkpoint_every"),
        ({"seconds": -1}, "checkpoint_seconds"),
        ({"seconds": "often"}, "checkpoint_seconds"),
    ],
)
def test_bad_cadence_is_a_user_error(kwargs, message):
    with pytest.raises(UserError, match=message):
        Cadence(**kwargs)


def test_fit_saves_last_and_best_on_the_cadence(small_shapes, make_model, tmp_path, monkeypatch):
    train, val = small_shapes
    saves, bests = [], []
    original_last, original_best = checkpoint.save_last, checkpoint.save_best
    monkeypatch.setattr(checkpoint, "save_last", lambda d, s: saves.append(s["epoch"]) or original_last(d, s))
    monkeypatch.setattr(
        checkpoint, "save_best", lambda d, s, m: bests.append(m["epoch"]) or original_best(d, s, m)
    )
    history = fit(
        make_model(train.tasks), train, val, epochs=5, checkpoint_dir=tmp_path, checkpoint_every=2, **FIT
    )
    assert saves == [2, 4, 5]
    assert len(bests) <= 3 and bests[-1] == history.best_epoch  # best.pt only when last.pt is written
    assert torch.load(tmp_path / "best.pt", weights_only=False)["epoch"] == history.best_epoch


def test_a_resume_from_an_earlier_saved_epoch_repeats_the_rest_exactly(small_shapes, make_model, tmp_path):
    train, val = small_shapes
    straight = fit(make_model(train.tasks), train, val, epochs=4, **FIT)

    class Stop(Exception):
        pass

    def stop_after_three(record):
        if record["epoch"] == 3:
            raise Stop

    with pytest.raises(Stop):
        fit(
            make_model(train.tasks),
            train,
            val,
            epochs=4,
            checkpoint_dir=tmp_path,
            checkpoint_every=2,
            callbacks=[stop_after_three],
            **FIT,
        )
    assert torch.load(tmp_path / "last.pt", weights_only=False)["epoch"] == 2  # epoch 3 was lost
    resumed = fit(
        make_model(train.tasks, seed=99), train, val, epochs=4, checkpoint_dir=tmp_path, resume=True, **FIT
    )
    assert [r["epoch"] for r in resumed.epochs] == [1, 2, 3, 4]
    assert [r["val"] for r in resumed.epochs] == [r["val"] for r in straight.epochs]
    assert [r["train"] for r in resumed.epochs] == [r["train"] for r in straight.epochs]
    assert resumed.best_epoch == straight.best_epoch


def test_a_fresh_run_never_resumes_an_earlier_runs_checkpoint(small_shapes, make_model, tmp_path):
    train, val = small_shapes
    fit(make_model(train.tasks), train, val, epochs=3, checkpoint_dir=tmp_path, **FIT)  # an earlier run
    assert (tmp_path / "last.pt").exists()

    class Stop(Exception):
        pass

    def stop_after_one(record):
        raise Stop

    settings = {**FIT, "seed": 6}
    with pytest.raises(Stop):  # a new run, killed before its first save (every 2nd epoch)
        fit(make_model(train.tasks), train, val, epochs=3, checkpoint_dir=tmp_path, checkpoint_every=2,
            callbacks=[stop_after_one], **settings)  # fmt: skip
    assert not (tmp_path / "last.pt").exists() and not (tmp_path / "best.pt").exists()
    resumed = fit(
        make_model(train.tasks), train, val, epochs=3, checkpoint_dir=tmp_path, resume=True, **settings
    )
    straight = fit(make_model(train.tasks), train, val, epochs=3, **settings)
    assert [r["val"] for r in resumed.epochs] == [r["val"] for r in straight.epochs]  # the new run's, from 0
