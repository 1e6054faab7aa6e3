"""--devices: one worker process per device slot; failures are reported, not fatal."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mtlkit.capstone.scheduler import parse_devices, run_queue
from mtlkit.errors import UserError

COMMAND = [sys.executable, "-m", "mtlkit.cli", "capstone", "--backbones", "cnn", "--epochs", "1"]
COMMAND += ["--limit", "200", "--quiet"]
ENV = dict(os.environ, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")


def test_parse_devices():
    assert parse_devices("0,1") == ["0", "1"]
    assert parse_devices("cpu, cpu") == ["cpu", "cpu"]
    for bad in ("", "cuda:0", "0,x"):
        with pytest.raises(UserError, match="--devices takes GPU indices"):
            parse_devices(bad)


def test_a_failing_run_is_reported_with_its_log(tmp_path):
    bad = tmp_path / "runs" / "bad-run"
    bad.mkdir(parents=True)
    (bad / "run.json").write_text(json.dumps({"config": {"backbone": "nope", "epochs": 1}}))
    lines = []
    status = run_queue([bad], ["cpu"], log=lines.append)
    assert status == {"bad-run": 2}
    assert "unknown backbone 'nope'" in (bad / "log.txt").read_text()
    assert any("bad-run failed (exit 2)" in line for line in lines)


@pytest.mark.slow
def test_two_cpu_workers_give_the_in_process_results(tmp_path):
    spread = subprocess.run(
        [*COMMAND, "--devices", "cpu,cpu", "--out", str(tmp_path / "a")],
        env=ENV,
        capture_output=True,
        text=True,
    )
    assert spread.returncode == 0, spread.stderr[-2000:]
    assert spread.stdout.count("on cpu") == 3
    here = subprocess.run(
        [*COMMAND, "--device", "cpu", "--out", str(tmp_path / "b")], env=ENV, capture_output=True, text=True
    )
    assert here.returncode == 0, here.stderr[-2000:]
    for name in ("shapes-cnn-stl_fine-none-s0", "shapes-cnn-stl_coarse-none-s0", "shapes-cnn-mtl-equal-s0"):
        a, b = (json.loads((tmp_path / d / "runs" / name / "metrics.json").read_text()) for d in "ab")
        assert a["test"] == b["test"] and a["best_epoch"] == b["best_epoch"]
