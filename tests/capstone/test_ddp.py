"""DDP on the CPU: two gloo processes under torchrun keep identical weights and write files once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

WORKER = Path(__file__).with_name("ddp_worker.py")


def torchrun(*args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.slow
def test_two_ranks_train_identical_weights_and_rank0_alone_writes(tmp_path):
    done = torchrun(str(WORKER), str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world_size"] for r in ranks] == [2, 2]
    assert ranks[0]["saves"] == [1, 2] and ranks[1]["saves"] == []  # only rank 0 writes checkpoints
    assert ranks[0]["epochs"][-1]["val"] == ranks[1]["epochs"][-1]["val"]
    assert ranks[0]["epochs"][-1]["train"] == ranks[1]["epochs"][-1]["train"]
    a, b = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert (tmp_path / "checkpoint" / "last.pt").exists()


@pytest.mark.slow
def test_gradient_weightings_are_refused_under_ddp(tmp_path):
    done = torchrun(str(WORKER), str(tmp_path), "pcgrad")
    assert done.returncode != 0
    assert "does not work with DDP" in done.stderr


@pytest.mark.slow
def test_mtlkit_train_runs_under_torchrun_and_writes_one_result(tmp_path):
    out = tmp_path / "run"
    args = ["--dataset", "shapes", "--limit", "256", "--epochs", "1", "--batch-size", "64"]
    done = torchrun("-m", "mtlkit.cli", "train", *args, "--device", "cpu", "--quiet", "--out", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= result["test"]["fine"]["acc"] <= 1.0
    assert sorted(p.name for p in out.iterdir()) == [
        "checkpoint",
        "history.csv",
        "history.json",
        "metrics.csv",
        "metrics.json",
    ]
