"""The ``namespace`` sandbox: its capability probe, mode choice, and a real confined process (no nbgrader)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from autograder_helpers import ROOT  # noqa: F401 (puts the repository on sys.path)

from autograder import namespace, sandbox
from mtlkit.errors import UserError


@pytest.fixture
def fresh_probe():
    """Forget the cached probe result before and after the test (it depends on PATH)."""
    namespace.problem.cache_clear()
    yield
    namespace.problem.cache_clear()


def _plain_ro_bind_works(tmp_path) -> bool:
    """The bare capability, tested independently of autograder.namespace."""
    folder = tmp_path / "plain"
    folder.mkdir()
    script = f"mount --bind -o ro {folder} {folder} && touch {folder}/f"
    if shutil.which("unshare") is None:
        return False
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        check=False,
    )
    return "Read-only file system" in result.stderr


def _needs_namespace():
    if namespace.problem():
        pytest.skip(f"mount namespaces are not permitted here: {namespace.problem()}")


def test_mount_points_are_read_from_mountinfo_with_octal_escapes():
    text = "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n30 22 0:5 / /mnt/my\\040disk rw - tmpfs tmpfs rw\n"
    assert namespace.mount_points(text + text) == ["/", "/mnt/my disk"]


def test_probe_reports_missing_util_linux(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no unshare, mount, setpriv or sh on it
    assert "unshare" in namespace.probe(tmp_path) and "setpriv" in namespace.probe(tmp_path)


def test_probe_agrees_with_a_plain_read_only_bind_mount(tmp_path, fresh_probe):
    if _plain_ro_bind_works(tmp_path) and shutil.which("setpriv"):
        assert namespace.problem() == ""
        assert namespace.problem.cache_info().misses == 1
        namespace.problem()
        assert namespace.problem.cache_info().hits >= 1  # probed once per process
    else:
        assert namespace.problem() != ""


def test_choose_mode_falls_back_to_none_without_namespaces(tmp_path, monkeypatch, fresh_probe):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(UserError, match="--sandbox namespace cannot run here: unshare"):
        sandbox.choose_mode("namespace", tmp_path / "probe")
    mode, note = sandbox.choose_mode("auto", tmp_path / "probe")
    assert mode == "user" or (mode == "none" and "no mount namespace" in note)
    assert sandbox.choose_mode("none", tmp_path / "probe") == ("none", "")


def test_auto_prefers_namespace_to_none(tmp_path):
    _needs_namespace()
    assert sandbox.choose_mode("namespace", tmp_path / "probe") == ("namespace", "")
    assert sandbox.choose_mode("auto", tmp_path / "probe")[0] in ("user", "namespace")


# Run confined: try every way out and report what happened to each.
_ESCAPES = r"""
import errno, json, os, pathlib, subprocess, sys
outside, secret, parent = sys.argv[1], sys.argv[2], sys.argv[3]
def attempt(action):
    try:
        action()
        return "done"
    except OSError as err:
        return errno.errorcode[err.errno]
result = {
    "outside": attempt(lambda: pathlib.Path(outside).write_text("owned")),
    "new_file": attempt(lambda: pathlib.Path(outside + ".new").write_text("owned")),
    "pid_file": attempt(lambda: open("../kernel.pid", "a").write("1\n")),
    "via_parent_root": attempt(lambda: open(f"/proc/{parent}/root{outside}", "w").write("owned")),
    "work": attempt(lambda: pathlib.Path("answer.txt").write_text("ok")),
    "tmp": attempt(lambda: pathlib.Path("../tmp/t").write_text("ok")),
    "shm": attempt(lambda: pathlib.Path("/dev/shm/mtlkit-test").write_text("ok")),
    "null": attempt(lambda: open("/dev/null", "w").write("ok")),
    "secret_visible": os.path.exists(secret),
    "caps": [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0],
    "remount": subprocess.run(["mount", "-o", "remount,bind,rw", "/"], capture_output=True).returncode,
}
print(json.dumps(result))
"""


def test_namespace_command_leaves_only_the_scratch_folders_writable(tmp_path):
    _needs_namespace()
    box, hidden = tmp_path / "box", tmp_path / "masters"
    for sub in namespace.SCRATCH:
        (box / sub).mkdir(parents=True)
    (box / "kernel.pid").write_text("123\n")
    hidden.mkdir()
    (hidden / "solution.ipynb").write_text("the answers")
    outside = tmp_path / "grades.csv"
    outside.write_bytes(b"student,score\nok,8\n")
    argv = [sys.executable, "-c", _ESCAPES, str(outside), str(hidden / "solution.ipynb"), str(os.getpid())]
    result = subprocess.run(
        namespace.command(box, argv, (str(hidden),)), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["outside"] == seen["new_file"] == seen["pid_file"] == "EROFS"
    assert seen["via_parent_root"] in ("EACCES", "EPERM")  # our process holds capabilities it lacks
    assert seen["work"] == seen["tmp"] == seen["shm"] == seen["null"] == "done"
    assert not seen["secret_visible"] and int(seen["caps"], 16) == 0 and seen["remount"] != 0
    assert outside.read_bytes() == b"student,score\nok,8\n" and not (tmp_path / "grades.csv.new").exists()
    assert (box / "kernel.pid").read_text() == "123\n" and (box / "work" / "answer.txt").read_text() == "ok"
    assert (hidden / "solution.ipynb").read_text() == "the answers"  # hidden inside only
    assert not os.path.exists("/dev/shm/mtlkit-test")  # the kernel's /dev/shm was its own


def test_hideable_keeps_folders_the_kernel_needs(tmp_path):
    box = tmp_path / "box"
    box.mkdir()
    other = tmp_path / "other"
    other.mkdir()
    hide = (str(other), str(tmp_path), sys.prefix, str(tmp_path / "missing"))
    assert namespace.hideable(hide, box) == [str(other)]  # not the box's parent, Python, or a missing path


def test_kill_all_ends_detached_processes_of_the_namespace_only(tmp_path):
    _needs_namespace()
    box = tmp_path / "box"
    for sub in namespace.SCRATCH:
        (box / sub).mkdir(parents=True)
    outsider = subprocess.Popen(["sleep", "60"])  # same uid, other namespace: must survive
    detach = "import subprocess as s\nprint(s.Popen(['setsid', 'sleep', '60'], stdout=s.DEVNULL, stderr=s.DEVNULL).pid)"
    argv = namespace.command(box, [sys.executable, "-c", detach])
    result = subprocess.run(argv, capture_output=True, text=True, check=True)
    detached = int(result.stdout)
    try:
        assert namespace._alive(Path(f"/proc/{detached}"))  # it outlived the kernel that started it
        namespace.kill_all(box)
        assert not namespace._alive(Path(f"/proc/{detached}"))
        assert outsider.poll() is None
    finally:
        outsider.kill()
        outsider.wait()
        with contextlib.suppress(ProcessLookupError):
            os.kill(detached, 9)


def test_kill_all_never_targets_the_graders_own_namespace(tmp_path):
    box = tmp_path / "box"
    box.mkdir()
    (box / namespace.NS_FILE).write_text(os.readlink("/proc/self/ns/mnt"))
    namespace.kill_all(box)  # would kill this very test process otherwise
    assert os.getpid() > 0


_PID_VIEW = r"""
import json, os, subprocess, sys
outer = int(sys.argv[1])
try:
    os.kill(outer, 0)
    signal_outer = "done"
except OSError as err:
    signal_outer = type(err).__name__
subprocess.Popen(["setsid", "sleep", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "outer_visible": os.path.exists(f"/proc/{outer}"),
                  "signal_outer": signal_outer, "procs": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}))
"""


def _in_namespace(target: str) -> list[int]:
    return [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and namespace._namespace_of(p) == target
    ]


def test_pid_namespace_hides_the_processes_outside_and_ends_with_its_first_process(tmp_path):
    _needs_namespace()
    if namespace.problem(pid=True):
        pytest.skip(f"PID namespaces are not permitted here: {namespace.problem(pid=True)}")
    box = tmp_path / "box"
    for sub in namespace.SCRATCH:
        (box / sub).mkdir(parents=True)
    argv = namespace.command(box, [sys.executable, "-c", _PID_VIEW, str(os.getpid())], pid=True)
    seen = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
    assert seen["pid"] == 1 and seen["ppid"] == 0 and not seen["outer_visible"], seen
    assert seen["signal_outer"] == "ProcessLookupError" and len(seen["procs"]) <= 3, seen  # itself, sleep
    target = (box / namespace.NS_FILE).read_text().strip()
    leftovers = _in_namespace(target)
    with contextlib.suppress(ProcessLookupError):
        for pid in leftovers:
            os.kill(pid, 9)
    assert leftovers == []  # the detached sleep died with the kernel (process 1), no kill_all needed
