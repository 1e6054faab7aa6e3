"""The ``namespace`` sandbox: a kernel that sees the whole file system read-only except its scratch folders.

The kernel launcher replaces itself (same pid) by::

    unshare --mount --propagation private --pid --fork --mount-proc --kill-child -- sh -c SCRIPT

(without ``--pid ...`` where PID namespaces are not permitted). In its own **PID namespace** the kernel is
process 1 and sees, in a fresh ``/proc``, only its own processes: it cannot signal the grader or the
grading child (``kill`` finds no such process), and when it dies every process it started dies with it.
SCRIPT, run as root in the new mount namespace (its mounts are private copies: nothing leaks out), makes
every mount read-only (``mount -o remount,bind,ro``), bind-mounts the sandbox's ``home``, ``tmp``,
``runtime`` and ``work`` folders back read-write, gives the kernel a private ``/dev/shm`` and a ``/dev``
where only null, zero, full, random, urandom and tty work (``nodev``: no raw disk), then
``exec setpriv --bounding-set -all --inh-caps -all --no-new-privs`` drops every capability: the kernel
still runs as uid 0 but can neither remount anything read-write (no CAP_SYS_ADMIN), create device nodes,
nor reach the grader's files through ``/proc/PID/root`` or ``/proc/PID/fd`` of a process outside
(ptrace checks: those hold capabilities it lacks). Afterwards ``kill_all`` kills every process left in
that namespace, detached ones too. See the README for what this does not stop.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRATCH = ("home", "tmp", "runtime", "work")  # the sandbox's only writable folders
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
TOOLS = ("unshare", "mount", "setpriv", "sh", "readlink")
NS_FILE = "mntns"  # in the sandbox's read-only root: which namespace to empty afterwards


def mount_points(mountinfo: str) -> list[str]:
    """Mount points listed in ``/proc/self/mountinfo`` text (field 5; spaces come as octal escapes)."""
    points = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) > 4:
            points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[4]))
    return list(dict.fromkeys(points))


def hideable(hide: tuple[str, ...], box: Path) -> list[str]:
    """The folders of ``hide`` that can be hidden: none that holds the sandbox, Python or mtlkit."""
    import importlib.util

    needed = [box, Path(sys.prefix), Path(sys.base_prefix)]
    spec = importlib.util.find_spec("mtlkit")
    if spec and spec.origin:
        needed.append(Path(spec.origin).parent)
    return [
        path
        for path in hide
        if Path(path).is_dir() and not any(n.resolve().is_relative_to(Path(path).resolve()) for n in needed)
    ]


def command(box: Path, argv: list[str], hide: tuple[str, ...] = (), pid: bool = False) -> list[str]:
    """The argv that runs ``argv`` in ``box/work``, in a fresh mount namespace, without capabilities.

    Folders in ``hide`` (the masters, the grading folders) are covered by an empty read-only tmpfs. With
    ``pid``, also in a fresh PID namespace with its own ``/proc``; ``unshare`` stays outside as its
    parent and kills it (and so the whole namespace) when it is killed itself.
    """
    tools = {name: shutil.which(name) or name for name in TOOLS}
    mount = shlex.quote(tools["mount"])
    q = shlex.quote
    lines = ["set -e", f"{q(tools['readlink'])} /proc/self/ns/mnt > {q(str(box / NS_FILE))}"]  # before ro
    points = mount_points(Path("/proc/self/mountinfo").read_text())
    if pid:  # the fresh /proc hides the mounts below the old one
        points = [p for p in points if not p.startswith("/proc/")]
    lines += [f"{mount} -o remount,bind,ro {q(p)}" for p in points if Path(p).exists()]
    for path in hideable(hide, box):
        lines.append(f"{mount} -t tmpfs -o ro,nosuid,nodev,size=4k tmpfs {q(path)}")
    for sub in SCRATCH:  # a new bind mount copies the ro flag: make it writable, without devices/setuid
        path = q(str(box / sub))
        lines += [f"{mount} --bind {path} {path}", f"{mount} -o remount,bind,rw,nosuid,nodev {path}"]
    if Path("/dev/shm").is_dir():
        lines.append(f"{mount} -t tmpfs -o nosuid,nodev,size=1g tmpfs /dev/shm")
    lines.append(f"{mount} -o remount,bind,ro,nosuid,nodev /dev")
    for dev in DEVICES:
        if Path("/dev", dev).exists():
            lines += [f"{mount} --bind /dev/{dev} /dev/{dev}", f"{mount} -o remount,bind,rw,dev /dev/{dev}"]
    lines.append(f"cd {q(str(box / 'work'))}")  # the old cwd is on the read-only mount
    drop = [tools["setpriv"], "--bounding-set", "-all", "--inh-caps", "-all", "--no-new-privs", "--"]
    lines.append("exec " + shlex.join([*drop, *argv]))
    unshare = [tools["unshare"], "--mount", "--propagation", "private"]
    if pid:
        unshare += ["--pid", "--fork", "--mount-proc", "--kill-child"]
    return [*unshare, "--", tools["sh"], "-c", "\n".join(lines)]


def kill_all(box: Path, rounds: int = 100) -> None:
    """SIGKILL every process in the sandbox's mount namespace, detached ones included (none can leave it)."""
    ns_file = box / NS_FILE
    target = ns_file.read_text().strip() if ns_file.is_file() else ""
    if not target or target == os.readlink("/proc/self/ns/mnt"):  # never the grader's own namespace
        return
    killed: set[Path] = set()
    for _ in range(rounds):  # again until a scan finds none: they may fork meanwhile
        found = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _namespace_of(p) == target]
        for proc in found:
            with contextlib.suppress(OSError):
                os.kill(int(proc.name), signal.SIGKILL)
        killed.update(found)
        if not found:
            break
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in killed) and time.monotonic() < deadline:  # SIGKILL lands asynchronously
        time.sleep(0.01)


def _namespace_of(proc: Path) -> str:
    try:
        return os.readlink(proc / "ns" / "mnt")
    except OSError:  # gone, or exiting
        return ""


def _alive(proc: Path) -> bool:
    """Not yet a zombie (a killed orphan stays one until its new parent reaps it)."""
    with contextlib.suppress(OSError):
        return (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


# Run inside the namespace by the probe: the sandbox's work folder is writable, nothing else, no capability.
_CHECK = """
import errno, os, pathlib, sys
outside, inside = pathlib.Path(sys.argv[1]), pathlib.Path("probe.txt")
inside.write_text("ok")
try:
    outside.write_text("escaped")
    sys.exit("a file outside the sandbox was writable")
except OSError as err:
    if err.errno != errno.EROFS:
        raise
caps = [line for line in open("/proc/self/status") if line.startswith("CapEff")][0].split()[1]
if int(caps, 16):
    sys.exit("capabilities were not dropped: CapEff " + caps)
if len(sys.argv) > 2 and (pathlib.Path("/proc", sys.argv[2]).exists() or os.getpid() != 1):
    sys.exit("the PID namespace did not hide the processes outside")
"""


def probe(scratch: Path, pid: bool = False) -> str:
    """Run the real namespace command (with a PID namespace: ``pid``) on a throwaway sandbox in ``scratch``:
    '' if it works, else why not."""
    missing = [name for name in TOOLS if shutil.which(name) is None]
    if missing:
        return f"{', '.join(missing)} not found (util-linux)"
    box, outside = scratch / "box", scratch / "outside.txt"
    for sub in SCRATCH:
        (box / sub).mkdir(parents=True, exist_ok=True)
    outside.write_text("intact")
    check = [sys.executable, "-c", _CHECK, str(outside), *([str(os.getpid())] if pid else [])]
    argv = command(box, check, pid=pid)
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return str(err)
    if result.returncode or outside.read_text() != "intact" or not (box / "work" / "probe.txt").is_file():
        return (result.stderr.strip() or f"exit status {result.returncode}").splitlines()[-1][-300:]
    return ""


@functools.cache
def problem(pid: bool = False) -> str:
    """Why the namespace sandbox (with a PID namespace: ``pid``) cannot run here ('' when it can); probed
    once per process."""
    scratch = Path(tempfile.mkdtemp(prefix="mtlkit-nsprobe-"))
    try:
        return probe(scratch, pid)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
