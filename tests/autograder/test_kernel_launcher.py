"""The kernel launcher's limits and environment (unit level; the end-to-end tests run real kernels)."""

from __future__ import annotations

import os
import resource
import subprocess

import pytest
from autograder_helpers import ROOT  # noqa: F401 (puts the repository on sys.path)

from autograder import kernel_launcher


def _limits_set(monkeypatch, uid: int) -> list[tuple[int, tuple[int, int]]]:
    calls: list[tuple[int, tuple[int, int]]] = []
    monkeypatch.setattr(os, "getuid", lambda: uid)
    monkeypatch.setattr(resource, "setrlimit", lambda which, limits: calls.append((which, limits)))
    kernel_launcher._limit_processes(extra=256)
    return calls


def test_a_non_root_kernel_gets_256_tasks_more_than_its_uid_runs(monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("starts a process as another uid")
    nobody = 65534
    sleeper = subprocess.Popen(["sleep", "30"], user=nobody, group=nobody, extra_groups=[])
    try:
        calls = _limits_set(monkeypatch, nobody)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert len(calls) == 1 and calls[0][0] == resource.RLIMIT_NPROC
    soft, hard = calls[0][1]
    assert soft == hard and 256 < soft < 256 + 64  # its sleep (and whatever else nobody runs) counted


def test_root_is_left_alone_since_linux_never_applies_the_limit_to_it(monkeypatch):
    assert _limits_set(monkeypatch, 0) == []
