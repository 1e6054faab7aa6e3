"""Kill a real `mtlkit capstone` process mid-run (SIGKILL), re-run it: same metrics as uninterrupted."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

COMMAND = [sys.executable, "-m", "mtlkit.cli", "capstone", "--preset", "quick", "--backbones", "cnn"]
COMMAND += ["--seeds", "0", "--epochs", "3", "--limit", "600", "--device", "cpu", "--quiet"]
ENV = dict(os.environ, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")


def interrupted_run(out: Path) -> Path | None:
    """A run folder with a checkpoint but no result yet."""
    for last in out.glob("runs/*/checkpoint/last.pt"):
        if not (last.parent.parent / "metrics.json").exists():
            return last.parent.parent
    return None


def results(out: Path) -> dict[str, dict]:
    found = {}
    for path in sorted(out.glob("runs/*/metrics.json")):
        metrics = json.loads(path.read_text())
        history = json.loads((path.parent / "history.json").read_text())
        found[path.parent.name] = {
            "test": metrics["test"],
            "val": metrics["val"],
            "best_epoch": metrics["best_epoch"],
            "train": [e["train"] for e in history["epochs"]],
            "val_curve": [e["val"] for e in history["epochs"]],
        }
    return found


@pytest.mark.slow
def test_a_killed_capstone_resumes_to_the_uninterrupted_result(tmp_path):
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    process = subprocess.Popen([*COMMAND, "--out", str(killed)], env=ENV, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    victim = None
    while victim is None:
        assert process.poll() is None, "the capstone finished before it could be killed"
        assert time.monotonic() < deadline, "no checkpoint appeared"
        victim = interrupted_run(killed)
        time.sleep(0.01)
    process.kill()
    process.wait()
    state = torch.load(victim / "checkpoint" / "last.pt", weights_only=False)
    assert 1 <= state["epoch"] < 3 and not (victim / "metrics.json").exists()

    resumed = subprocess.run([*COMMAND, "--out", str(killed)], env=ENV, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "already finished" in resumed.stdout
    uninterrupted = subprocess.run([*COMMAND, "--out", str(clean)], env=ENV, capture_output=True, text=True)
    assert uninterrupted.returncode == 0, uninterrupted.stderr[-2000:]

    got, expected = results(killed), results(clean)
    assert sorted(got) == sorted(expected) and len(got) == 3
    assert got == expected
    accuracy = ("run", "fine", "coarse", "coarse_from_fine", "best_epoch")
    tables = [list(csv.DictReader((out / "runs.csv").open())) for out in (killed, clean)]
    assert [[r[c] for c in accuracy] for r in tables[0]] == [[r[c] for c in accuracy] for r in tables[1]]
