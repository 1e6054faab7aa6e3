"""Where and as whom a student's kernel runs: a throwaway sandbox, ideally owned by its own user.

Three modes (``--sandbox``):

- ``user``: the grader runs as root; each submission's kernel runs as a fresh unprivileged uid that owns
  only its sandbox folder. File permissions then stop the student's code from writing the gradebook,
  grades.csv, the masters or another student's files, even by absolute path, and every process it
  started is killed afterwards (``kill(-1)`` as that uid; autograder.uids).
- ``namespace``: the kernel runs as root without capabilities in its own mount namespace where every
  file system is read-only except the sandbox's scratch folders, and the masters and grading folders are
  hidden (autograder.namespace).
- ``none``: the kernel runs as the grader's own user, in the sandbox with HOME/TMPDIR redirected. Relative
  paths reach nothing of value and grades are read back from a per-student gradebook, but a determined
  student who writes by absolute path can reach whatever the grader's user can (see README).

``auto`` picks the first that works here: ``user``, ``namespace``, ``none``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mtlkit.errors import UserError

from . import namespace, uids

LAUNCHER = Path(__file__).with_name("kernel_launcher.py")


@dataclass
class Sandbox:
    """A student's sandbox folder (kernel cwd and HOME), the uid/gid its kernel runs as (-1: ours), and in
    ``namespace`` mode the folders its kernel must not see (``hide``) and whether it gets its own PID
    namespace (``pid``)."""

    path: Path
    uid: int = -1
    gid: int = -1
    namespace: bool = False
    hide: tuple[str, ...] = ()
    pid: bool = False

    def create(self) -> None:
        for sub in ("home", "tmp", "runtime", "work"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        if self.uid >= 0:
            for p in [self.path, *self.path.rglob("*")]:
                os.chown(p, self.uid, self.gid)
        self.path.chmod(0o700)

    def kill_processes(self) -> None:
        """Kill whatever the student's kernel left running (background processes included)."""
        if self.uid >= 0:
            uids.kill_all_of(self.uid, self.gid)
            uids.remove_files_of(self.uid)  # nothing of it is left for the next batch that gets this uid
            return
        if self.namespace:
            namespace.kill_all(self.path)
        pid_file = self.path / "kernel.pid"
        pids = pid_file.read_text().split() if pid_file.is_file() else []
        for pid in pids:
            if pid.isdigit():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(int(pid), signal.SIGKILL)


def choose_mode(requested: str, probe_dir: Path) -> tuple[str, str]:
    """Resolve ``auto``; returns (mode, note explaining a fallback or '')."""
    if requested == "none":
        return "none", ""
    if requested == "namespace":
        if namespace.problem():
            raise UserError(f"--sandbox namespace cannot run here: {namespace.problem()}")
        return "namespace", _pid_note()
    user_problem = _user_problem(probe_dir)
    if not user_problem:
        return "user", ""
    if requested == "user":
        raise UserError(f"--sandbox user cannot run here: {user_problem}")
    if not namespace.problem():
        note = f"{user_problem}; kernels run as root in a read-only mount namespace"
        return "namespace", "; ".join(filter(None, [note, _pid_note()]))
    return (
        "none",
        f"{user_problem}; no mount namespace ({namespace.problem()}): see the threat model in README",
    )


def _pid_note() -> str:
    """'' when namespace-mode kernels get their own PID namespace, else why not and what that means."""
    why = namespace.problem(pid=True)
    return f"no PID namespace ({why}): kernels can see and signal the grader's processes" if why else ""


def _user_problem(probe_dir: Path) -> str:
    """Why kernels cannot run as a fresh unprivileged uid here ('' when they can)."""
    if os.geteuid() != 0:
        return "not running as root (needed to switch kernels to other uids)"
    uid = uids.free_uids(1)[0]
    probe = Sandbox(probe_dir, uid, uid)
    probe.create()
    try:
        result = subprocess.run(
            [sys.executable, "-c", "import ipykernel, nbformat"],
            user=uid,
            group=uid,
            extra_groups=[],
            cwd=probe_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        problem = result.stderr.strip()[-300:] if result.returncode else ""
    except OSError as err:
        problem = str(err)
    finally:
        shutil.rmtree(probe_dir, ignore_errors=True)
    return f"an unprivileged uid cannot run {sys.executable}: {problem}" if problem else ""


def write_kernelspec(jupyter_dir: Path, sandbox: Sandbox) -> None:
    """A ``python3`` kernelspec that starts the current interpreter through the sandbox launcher."""
    spec_dir = jupyter_dir / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    mode = ("namespace+pid" if sandbox.pid else "namespace") if sandbox.namespace else "plain"
    argv = [sys.executable, str(LAUNCHER), str(sandbox.path), str(sandbox.uid), str(sandbox.gid), mode]
    argv += list(sandbox.hide) if sandbox.namespace else []
    spec = {
        "argv": [*argv, "-f", "{connection_file}"],
        "display_name": "Python 3 (sandboxed grading)",
        "language": "python",
        "interrupt_mode": "signal",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))


JOB_FOLDERS = ("home", "jupyter", "jupyter_config", "runtime")  # job_env's HOME and Jupyter folders


def make_job_folders(course: Path) -> None:
    """Create the folders that ``job_env(course)`` points HOME and Jupyter at."""
    for sub in JOB_FOLDERS:
        (course / sub).mkdir(parents=True, exist_ok=True)


def job_env(course: Path) -> dict[str, str]:
    """Environment of the nbgrader child: its own Jupyter/IPython folders, none of the caller's config."""
    keep = ("LANG", "LC_ALL", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONPATH", "SYSTEMROOT")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    bin_dir = str(Path(sys.executable).parent)  # nbgrader calls `alembic` from the venv
    env.update(
        PATH=os.pathsep.join([bin_dir, "/usr/local/bin", "/usr/bin", "/bin"]),
        HOME=str(course / "home"),
        JUPYTER_PATH=str(course / "jupyter"),
        JUPYTER_DATA_DIR=str(course / "jupyter"),
        JUPYTER_CONFIG_DIR=str(course / "jupyter_config"),
        JUPYTER_RUNTIME_DIR=str(course / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(course / "home" / ".ipython"),
        MPLBACKEND="Agg",
        PYTHONHASHSEED="0",
        MTLKIT_SMOKE="1",  # exercise experiments run in seconds when graded (their parameters cell reads it)
    )
    env.setdefault("OMP_NUM_THREADS", "1")
    return env
