"""--devices: one worker process per device slot; failures are reported, not fatal."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mtlkit.capstone import scheduler
from mtlkit.capstone.scheduler import check_devices, parse_devices, run_queue, worker_command
from mtlkit.errors import UserError

COMMAND = [
    sys.executable,
    "-m",
    "mtlkit.cli",
    "capstone",
    "--backbones",
    "cnn",
    "--seeds",
    "0",
    "--epochs",
    "1",
]
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


def test_a_gpu_worker_sees_only_its_gpu_and_trains_on_cuda(tmp_path):
    argv, env = worker_command(tmp_path, "1", environ={"PATH": "/bin"})
    assert argv == [sys.executable, "-m", "mtlkit.capstone.worker", str(tmp_path), "cuda"]
    assert env == {"PATH": "/bin", "CUDA_VISIBLE_DEVICES": "1"}


def test_gpu_indices_count_the_gpus_this_process_sees(tmp_path):
    _, env = worker_command(tmp_path, "1", environ={"CUDA_VISIBLE_DEVICES": "2,3"})
    assert env["CUDA_VISIBLE_DEVICES"] == "3"


def test_a_cpu_worker_sees_no_gpu(tmp_path):
    argv, env = worker_command(tmp_path, "cpu", environ={"CUDA_VISIBLE_DEVICES": "0,1"})
    assert argv[-1] == "cpu" and env["CUDA_VISIBLE_DEVICES"] == ""


class FakeProcess:
    def __init__(self, argv, stdout, stderr, env):
        self.argv, self.env, self.returncode = argv, env, 0

    def poll(self):
        return 0


def test_the_queue_starts_one_gpu_worker_per_device(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(
        scheduler.subprocess, "Popen", lambda *a, **k: started.append(FakeProcess(*a, **k)) or started[-1]
    )
    runs = [tmp_path / name for name in ("a", "b", "c")]
    for run in runs:
        run.mkdir()
    lines = []
    status = run_queue(runs, ["0", "1"], log=lines.append, poll=0)
    assert status == {"a": 0, "b": 0, "c": 0}
    assert [(p.argv[3], p.argv[4], p.env["CUDA_VISIBLE_DEVICES"]) for p in started] == [
        (str(tmp_path / "a"), "cuda", "0"),
        (str(tmp_path / "b"), "cuda", "1"),
        (str(tmp_path / "c"), "cuda", "0"),
    ]
    assert lines[:2] == ["== a on cuda 0", "== b on cuda 1"]


def test_gpu_indices_without_a_gpu_are_refused():
    with pytest.raises(UserError, match="--devices 0,1 names GPUs, but no CUDA GPU is visible"):
        check_devices(["0", "1"], gpu_count=0)


def test_gpu_index_out_of_range_is_refused():
    with pytest.raises(UserError, match=r"no GPU 2, 3; 2 GPU\(s\) are visible, indices 0 to 1"):
        check_devices(["0", "2", "3"], gpu_count=2)
    check_devices(["0", "1"], gpu_count=2)
    check_devices(["cpu", "cpu"], gpu_count=0)


def test_the_capstone_refuses_gpus_it_does_not_have_before_any_output(tmp_path, monkeypatch, capsys):
    import torch

    from mtlkit.cli import main

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    out = tmp_path / "out"
    assert main(["capstone", "--devices", "0", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no CUDA GPU is visible" in err and err.count("\n") == 1
    assert not out.exists()
