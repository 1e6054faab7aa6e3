"""nbgrader steps in a child process on throwaway course trees (run as a script by the grader).

Usage::

    python job.py generate COURSE ASSIGNMENT [ASSIGNMENT ...]   # settings on stdin
    python job.py grade        # manifest on stdin, one JSON result line per student on stdout

``grade`` first moves its stdin/stdout to file descriptors no kernel inherits, reads the manifest (one
JSON line: ``{"assignment", "timeout", "gradebook": base64, "max_result", "config", "config_path",
"jailed", "limits", "work", "items": [{"index", "student", "notebook"}]}``) and, one student at a time,
builds a course tree (root-only, never inside a jail), runs nbgrader's autograde and generate_feedback
with the kernel in its bubblewrap jail (autograder.jail), and sends the score and output files back.
As root the grader starts this child in a private mount namespace (``unshare --mount``): the kernels'
runtime folder is a small tmpfs there, so a kernel cannot fill the disk through it, and it vanishes with
the child. Importing nbgrader once for the whole batch saves seconds per student.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `autograder` importable

from autograder import jail

RUNTIME_BYTES = 16 * 2**20  # the tmpfs of the kernels' connection files and sockets
# jupyter_client's errors for a kernel that never answered its first request: no cell had run
_NO_START = ("Kernel died before replying to kernel_info", "Kernel didn't respond in")


def _config(course: str, assignment: str, base, student: str = ".", timeout: int | None = None, runtime=None):
    """The grading settings ``base`` (autograder.settings.from_text) on a throwaway course tree."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    from autograder.preprocessors import CappedExecute

    c = copy.deepcopy(base)
    c.CourseDirectory.root = course
    c.CourseDirectory.course_id = "mtlkit"
    c.CourseDirectory.db_url = f"sqlite:///{course}/gradebook.db"
    c.CourseDirectory.assignment_id = assignment
    c.CourseDirectory.student_id = student
    if timeout is not None:
        c.Execute.timeout = timeout
    c.Execute.startup_timeout = 120
    # output still streaming (or dropped as too large: preprocessors.py) 10 s after a cell's reply is
    # given up, not made nbgrader's error for the whole notebook
    c.Execute.iopub_timeout, c.Execute.raise_on_iopub_timeout = 10, False
    c.Execute.kernel_name = "python3"  # the jailed kernelspec of this tree
    c.KernelManager.transport = "ipc"  # unix sockets in a private folder: no TCP port to race for
    if runtime is not None:  # the folder the jail binds; the sockets go beside the file
        c.KernelManager.connection_file = str(runtime / "kernel.json")
    steps = Autograde.class_traits()["autograde_preprocessors"].default()
    c.Autograde.autograde_preprocessors = [CappedExecute if p is Execute else p for p in steps]
    c.HTMLExporter.template_name = "feedback"
    return c


def _run(converter_class, config) -> None:
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    converter = converter_class(coursedir=coursedir, config=config)
    converter.force = True
    if hasattr(converter, "create_assignment"):
        converter.create_assignment = True
    converter.start()


def _environment(course: Path, runtime: Path) -> dict[str, str]:
    """The child's environment for one student: its Jupyter folders, none of the caller's config."""
    keep = ("LANG", "LC_ALL", "PYTHONPATH", "OMP_NUM_THREADS")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    for sub in ("home", "jupyter", "jupyter_config"):
        (course / sub).mkdir(parents=True, exist_ok=True)
    env.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        HOME=str(course / "home"),
        JUPYTER_PATH=str(course / "jupyter"),
        JUPYTER_DATA_DIR=str(course / "jupyter"),
        JUPYTER_CONFIG_DIR=str(course / "jupyter_config"),
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(course / "home" / ".ipython"),
    )
    return env


def _prepare(course: Path, runtime: Path, manifest: dict, item: dict, gradebook: bytes) -> jail.Spec:
    """nbgrader's layout with the notebook, a private gradebook and a kernelspec that starts the jail."""
    assignment, student = manifest["assignment"], item["student"]
    course.mkdir(mode=0o700, parents=True)
    target = course / "submitted" / student / assignment / f"{assignment}.ipynb"
    target.parent.mkdir(parents=True)
    target.write_text(item["notebook"], encoding="utf-8")
    (course / "gradebook.db").write_bytes(gradebook)
    runtime.mkdir(mode=0o700, parents=True)
    cgroup = f"mtlkit-{os.getpid()}-{item['index']}"
    env = {"MTLKIT_SMOKE": "1"}
    limits = jail.Limits(**manifest["limits"])
    spec = jail.Spec(str(runtime), str(course / "kernel.log"), cgroup, env, limits, manifest["jailed"])
    (course / "spec.json").write_text(jail.spec_json(spec))
    kernels = course / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    argv = [sys.executable, str(Path(jail.__file__)), str(course / "spec.json"), "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python 3 (jailed)", "language": "python"}
    (kernels / "kernel.json").write_text(json.dumps({**kernel, "interrupt_mode": "message"}))
    return spec


def _result(course: Path, assignment: str, student: str) -> dict:
    """Score, lost tests, timeouts and output files of a graded tree (``graded`` False when none)."""
    import nbformat
    from nbgrader.api import Gradebook

    autograded = course / "autograded" / student / assignment / f"{assignment}.ipynb"
    if not autograded.is_file():
        return {"graded": False}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(assignment, student)
        score = float(submission.score)
        lost = [
            f"{g.name} ({g.score:g}/{g.max_score:g})"
            for nb in submission.notebooks
            for g in sorted(nb.grades, key=lambda g: g.name)
            if g.score < g.max_score
        ]
    nb = nbformat.read(autograded, as_version=4)
    timed_out = any(o.get("ename") == "CellTimeoutError" for c in nb.cells for o in c.get("outputs", []))
    feedback = course / "feedback" / student / assignment / f"{assignment}.html"
    return {
        "graded": True,
        "score": score,
        "lost": lost,
        "timed_out": timed_out,
        "autograded": autograded.read_text(encoding="utf-8"),
        "feedback": feedback.read_text(encoding="utf-8") if feedback.is_file() else "",
    }


class _Capture(logging.Handler):
    """Keeps the log lines of the student being graded (to explain a failure in grades.csv)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _grade_item(manifest: dict, gradebook: bytes, item: dict, shared, work: Path, runtimes: Path) -> dict:
    from nbgrader.converters import Autograde, GenerateFeedback

    course, runtime = work / f"s{item['index']}", runtimes / f"s{item['index']}"
    spec = _prepare(course, runtime, manifest, item, gradebook)
    os.environ.clear()
    os.environ.update(_environment(course, runtime))
    capture = _Capture()
    logging.getLogger().addHandler(capture)
    seconds = {}
    try:
        args = (str(course), manifest["assignment"], shared, item["student"], manifest["timeout"], runtime)
        config = _config(*args)
        for step, converter in (("autograde", Autograde), ("feedback", GenerateFeedback)):
            start = time.perf_counter()
            _run(converter, config)
            seconds[step] = round(time.perf_counter() - start, 2)
    except Exception as err:
        capture.lines.append(f"{type(err).__name__}: {err}")
    finally:
        logging.getLogger().removeHandler(capture)
        jail.remove_cgroups(spec.cgroup)  # and whatever was still running in them
    try:
        found = _result(course, manifest["assignment"], item["student"])
        outcome = {"log": capture.lines[-20:], "seconds": seconds, **found}
        failed = [m for line in capture.lines for m in _NO_START if m in line]
        if not found["graded"] and failed:  # no student code ran yet
            outcome["kernel_start"] = f"{failed[0]}; it printed: " + (
                _last_line(course / "kernel.log") or "nothing"
            )
        return outcome
    finally:
        if manifest.get("keep_work") and (course / "kernel.log").is_file():
            shutil.copyfile(course / "kernel.log", work / f"s{item['index']}-kernel.log")
        shutil.rmtree(course, ignore_errors=True)
        shutil.rmtree(runtime, ignore_errors=True)


def _last_line(log: Path, chars: int = 4000) -> str:
    """The last non-empty line of a kernel's output file (why it could not start)."""
    if not log.is_file():
        return ""
    with open(log, "rb") as f:
        f.seek(max(0, log.stat().st_size - chars))
        lines = [line for line in f.read().decode(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip()[-200:] if lines else ""


def _grade_all(control, results) -> None:
    from autograder import settings

    manifest = json.loads(control.readline())
    gradebook = base64.b64decode(manifest["gradebook"])
    shared = settings.from_text(manifest["config"], Path(manifest["config_path"]))
    work = Path(manifest["work"])
    runtime = Path(tempfile.mkdtemp(prefix="mtlkit-k", dir="/tmp"))  # short: a socket path has 107 bytes
    if os.geteuid() == 0 and manifest["jailed"]:  # private mount namespace: see the module docstring
        size = f"size={RUNTIME_BYTES},mode=0755"
        subprocess.run(["mount", "-t", "tmpfs", "-o", size, "tmpfs", str(runtime)], check=True)
    try:
        _grade_items(manifest, gradebook, shared, work, runtime, results)
    finally:
        subprocess.run(["umount", "-l", str(runtime)], capture_output=True, check=False)
        shutil.rmtree(runtime, ignore_errors=True)


def _grade_items(manifest: dict, gradebook: bytes, shared, work: Path, runtime: Path, results) -> None:
    for item in manifest["items"]:
        try:
            outcome = _grade_item(manifest, gradebook, item, shared, work, runtime)
        except Exception as err:  # this student's error row; the others are still graded
            outcome = {"graded": False, "failed": f"{type(err).__name__}: {err}"[:300]}
        line = json.dumps({**outcome, "index": item["index"]})
        if len(line) > manifest["max_result"]:  # the grader would not read it: say so instead
            line = json.dumps({"graded": False, "too_large": len(line), "index": item["index"]})
        results.write(line.encode() + b"\n")
        results.flush()


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from autograder import settings

    if argv[0] == "generate":
        from nbgrader.converters import GenerateAssignment

        try:
            message = json.loads(sys.stdin.read())
            shared = settings.from_text(message["config"], Path(message["config_path"]))
            for assignment in argv[2:]:
                _run(GenerateAssignment, _config(argv[1], assignment, shared))
        except Exception as err:
            print(f"nbgrader failed: {type(err).__name__}: {err}", file=sys.stderr)
            return 1
        return 0
    control, results = os.dup(0), os.dup(1)  # dup'ed fds are close-on-exec: no kernel inherits them
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    with open(control, encoding="utf-8") as control_file, open(results, "wb") as results_file:
        _grade_all(control_file, results_file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
