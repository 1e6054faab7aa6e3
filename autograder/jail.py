"""The bubblewrap jail a student's kernel runs in, and its launcher (the kernelspec's command).

bubblewrap (https://github.com/containers/bubblewrap) builds the kernel's world from an allow-list
(autograder/README.md, "What the jail protects"). Limits: per-kernel memory and pids cgroups (v1) where
there are, else RLIMIT_DATA/RLIMIT_NPROC; always RLIMIT_FSIZE, RLIMIT_CPU, no core; tmpfs sizes cap the
disk. The kernel's processes end with its PID namespace and cgroup, never by a namespace id (reused).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import mtlkit

NOBODY = 65534
CGROUP = Path("/sys/fs/cgroup")
SPEC_VARIABLE = "MTLKIT_JAIL"
MTLKIT = Path(mtlkit.__file__).resolve().parent  # the package the kernel imports: the grader's own


@dataclass
class Limits:
    """Per kernel: memory and disk (tmpfs) in bytes, processes, largest file, CPU seconds."""

    memory: int = 4 * 2**30
    processes: int = 256
    disk: int = 1 * 2**30
    file_size: int = 1 * 2**30
    cpu_seconds: int = 3600


@dataclass
class Spec:
    """What the launcher needs: the runtime folder, the kernel's output log, cgroup name, limits."""

    runtime: str
    log: str
    cgroup: str
    limits: Limits = field(default_factory=Limits)
    jailed: bool = True


def kernelspec() -> dict:
    """A kernelspec that starts the kernel through this launcher (its Spec in ``$MTLKIT_JAIL``)."""
    argv = [sys.executable, str(Path(__file__).resolve()), "{connection_file}"]
    return {
        "argv": argv,
        "display_name": "Python 3 (jailed)",
        "language": "python",
        "interrupt_mode": "message",
    }


def _readable_roots() -> list[Path]:
    """Folders bound read-only: interpreter, virtual environment, and the mtlkit package alone."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parents[1], MTLKIT}
    return sorted(p.resolve() for p in roots if p.is_dir())


def _parents(path: Path, made: set[Path]) -> list[str]:
    """bwrap options that create the folders above ``path`` readable (bwrap would make them 0700)."""
    argv = []
    for parent in reversed(path.parents):
        if parent not in made:
            made.add(parent)
            argv += ["--perms", "0755", "--dir", str(parent)]
    return argv


def bwrap_argv(spec: Spec) -> list[str]:
    """The bwrap command line (without the kernel's own command) for ``spec``."""
    argv = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    argv += ["--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "grader"]
    root = os.geteuid() == 0
    if not root:  # unprivileged bubblewrap: a user namespace, no way back into another one
        argv += ["--unshare-user", "--disable-userns"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--perms", "1777", "--size", str(spec.limits.disk), "--tmpfs", "/tmp"]  # before binds in it
    made: set[Path] = {Path("/"), Path("/tmp")}
    for path in [Path("/usr"), *_readable_roots()]:
        argv += [*_parents(path, made), "--ro-bind", str(path), str(path)]
    argv += [*_parents(Path(spec.runtime), made), "--bind", spec.runtime, spec.runtime]
    argv += ["--chdir", "/tmp", "--clearenv"]
    for key, value in kernel_env().items():
        argv += ["--setenv", key, value]
    if root:  # in the jail: become nobody, with no capabilities left anywhere
        argv += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--"]
        argv += ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
        argv += ["--no-new-privs", "--bounding-set=-all", "--inh-caps=-all"]
    return [*argv, "--"]


def kernel_env() -> dict[str, str]:
    """The kernel's whole environment: a home in its tmpfs, mtlkit importable, exercises in smoke mode."""
    return {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "MPLBACKEND": "Agg",
        "PYTHONPATH": str(MTLKIT.parent),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        "MTLKIT_SMOKE": "1",  # the exercises' experiments shrink to seconds when graded
    }


def problem() -> str:
    """Why the jail cannot run a kernel here ('' when it can): tried for real, once per batch."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    with tempfile.TemporaryDirectory(prefix="mtlkit-probe-") as probe:
        argv = [*bwrap_argv(Spec(probe, "", "")), sys.executable, "-c", "import ipykernel, mtlkit"]
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"bwrap failed: {err}"
    return f"bwrap failed: {result.stderr.strip()[-300:]}" if result.returncode else ""


def _cgroup_dirs(name: str) -> dict[str, Path]:
    """Per-kernel v1 cgroups below our own (memory, pids) where the host has them."""
    dirs: dict[str, Path] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in ("memory", "pids"):
            if controller in controllers.split(",") and (CGROUP / controller).is_dir():
                dirs[controller] = CGROUP / controller / path.lstrip("/") / name
    return dirs


def _join_cgroups(name: str, limits: Limits) -> set[str]:
    """Put this process in fresh memory/pids cgroups with ``limits``; the controllers that worked."""
    settings = {"memory": ("memory.limit_in_bytes", limits.memory), "pids": ("pids.max", limits.processes)}
    joined = set()
    for controller, folder in _cgroup_dirs(name).items():
        with contextlib.suppress(OSError):
            folder.mkdir(exist_ok=True)
            knob, value = settings[controller]
            (folder / knob).write_text(str(value))
            (folder / "cgroup.procs").write_text(str(os.getpid()))
            joined.add(controller)
    return joined


def cgroup_name(grader: int, index: int) -> str:
    """The cgroups of student ``index``'s kernel in the grading child ``grader`` (a pid)."""
    return f"mtlkit-{grader}-{index}"


def remove_cgroups(name: str) -> None:
    """After the kernel: kill what is left in its cgroups and remove them (retried while tasks exit)."""
    for folder in _cgroup_dirs(name).values():
        for _ in range(50):
            with contextlib.suppress(OSError):  # gone already, or a task still exiting: try again
                for pid in (folder / "cgroup.procs").read_text().split():
                    os.kill(int(pid), signal.SIGKILL)
                folder.rmdir()
            if not folder.exists():
                break
            time.sleep(0.1)


def _tasks_of(uid: int) -> int:
    """Processes and threads the user ``uid`` runs now (what RLIMIT_NPROC counts)."""
    tasks = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                tasks += int(fields["Threads"])
    return tasks


def _set_rlimits(limits: Limits, cgroups: set[str]) -> None:
    caps = {resource.RLIMIT_FSIZE: limits.file_size, resource.RLIMIT_CPU: limits.cpu_seconds}
    caps[resource.RLIMIT_CORE] = 0
    if "memory" not in cgroups:
        caps[resource.RLIMIT_DATA] = limits.memory
    if "pids" not in cgroups:  # counts every task of the kernel's uid on the machine: on top of those
        uid = NOBODY if os.geteuid() == 0 else os.geteuid()
        caps[resource.RLIMIT_NPROC] = _tasks_of(uid) + limits.processes
    for which, value in caps.items():
        resource.setrlimit(which, (value, value))


def main(connection: str) -> None:
    """Kernel launcher, the kernelspec's command ``jail.py CONNECTION_FILE``, with the kernel's Spec as
    JSON in ``$MTLKIT_JAIL`` (set by the grading child, job.py): execs bwrap, or the bare kernel."""
    raw = json.loads(os.environ.pop(SPEC_VARIABLE))
    spec = Spec(**{**raw, "limits": Limits(**raw["limits"])})
    log = os.open(spec.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", connection]
    if not spec.jailed:  # --sandbox none: the grader's own user, no jail
        os.execve(sys.executable, kernel, {**os.environ, **kernel_env(), "HOME": spec.runtime})
    if os.geteuid() == 0:  # the kernel (nobody) reads its connection file and makes its sockets here
        os.chown(spec.runtime, NOBODY, NOBODY)
        os.chown(connection, NOBODY, NOBODY)
    _set_rlimits(spec.limits, _join_cgroups(spec.cgroup, spec.limits) if os.geteuid() == 0 else set())
    argv = bwrap_argv(spec) + kernel
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1])
