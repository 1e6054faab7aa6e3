"""The attack suite: one crafted notebook per attack class, graded in one batch (from an LMS zip) with
honest students before and after them, kernels in the bubblewrap jail (the default).

Each attack prints ``REPORT <json>`` with what it managed; afterwards the host is checked directly:
secrets not read, host servers not reached, files byte-identical, nothing left running, honest
students' full marks, hook-based cheats graded but marked ``needs review``.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import socket
import threading
import zipfile
from pathlib import Path

import nbformat
import pytest
from tiny_course import ANSWER, HIDDEN_LINE, HIDDEN_MESSAGE, make_course, student

from autograder import ROOT, jail
from autograder.grade import Options, grade

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(jail.problem()), reason=f"no bubblewrap jail here: {jail.problem()}"),
]
MARKER = "987654"  # a detached `sleep` that must not outlive the batch
REPORT = "import json\ndef report(**what):\n    print('REPORT ' + json.dumps(what))\n"


def _attempts(body: str) -> str:
    """Attack code that records every step's result (the exception's name when it failed)."""
    return REPORT + "results = {}\n" + body + "\nreport(**results)\n" + ANSWER


def _try(name: str, code: str) -> str:
    indented = "\n".join("    " + line for line in code.splitlines())
    return f"try:\n{indented}\n    results[{name!r}] = 'ok'\nexcept BaseException as e:\n    results[{name!r}] = type(e).__name__\n"


def attacks(host: dict[str, str]) -> dict[str, str]:
    """Student id -> answer cell source."""
    read = "".join(_try(f"read {p}", f"open({p!r}, 'rb').read(64)") for p in host["secrets"])
    listing = "".join(_try(f"list {p}", f"import os\nassert os.listdir({p!r})") for p in host["folders"])
    writes = "".join(_try(f"write {p}", f"open({p!r}, 'a').write('PWNED')") for p in host["writable"])
    net = _try(
        "tcp host", f"import socket\nsocket.create_connection(('127.0.0.1', {host['port']}), timeout=3)"
    )
    net += _try("tcp internet", "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=3)")
    unix = _try(
        "unix socket", f"import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({host['unix']!r})"
    )
    # Connection files (kernel-ID.json holding the HMAC "key"); a package's kernel-logo.json schema is not one.
    kernels = (
        "import glob\ndef connection(f):\n    try:\n        return '\"key\"' in open(f).read()\n"
        "    except OSError:\n        return False\n"
        "results['kernel files'] = [f for d in ('/tmp', '/root', '/run', "
        f"{host['runtime']!r}) for f in glob.glob(d + '/**/kernel-*.json', recursive=True) if connection(f)]\n"
    )
    fork = (
        "import os, time\nkids = []\ntry:\n    while len(kids) < 5000:\n        pid = os.fork()\n"
        "        if pid == 0:\n            time.sleep(30)\n            os._exit(0)\n        kids.append(pid)\n"
        "except OSError as e:\n    results['fork stopped'] = e.strerror\nresults['forked'] = len(kids)\n"
        "for pid in kids:\n    os.kill(pid, 9)\n    os.waitpid(pid, 0)\n"
    )
    disk = (
        "import os\nfrom ipykernel.kernelapp import IPKernelApp\n"
        "for folder in ('/tmp', os.path.dirname(IPKernelApp.instance().connection_file)):\n"
        "    written = 0\n    try:\n        with open(folder + '/fill', 'wb') as f:\n"
        "            while written < 6 * 2**30:\n                f.write(b'x' * 2**20)\n                f.flush()\n"
        "                written += 2**20\n    except OSError as e:\n        results['stopped ' + folder] = e.strerror\n"
        "    results['wrote ' + folder] = written\n"
    )
    detach = (
        "import subprocess\nsubprocess.Popen(['setsid', 'sh', '-c', 'sleep " + MARKER + " &'])\n"
        "results['detached'] = True\n"
    )
    return {
        "read_files": _attempts(read + listing),
        "network": _attempts(net + unix),
        "kernel_files": _attempts(kernels),
        "fork_bomb": _attempts(fork),
        "memory_bomb": _attempts("big = bytearray(12 * 2**30)\nresults['allocated'] = len(big)\n"),
        "huge_output": REPORT + "for _ in range(120):\n    print('x' * 2**20, flush=True)\n" + ANSWER,
        "disk_fill": _attempts(disk),
        "edit_files": _attempts(writes),
        "left_running": _attempts(detach),
        "hook_blanks_tests": "get_ipython().input_transformers_cleanup.append(lambda lines: [])\n"
        "def add(a, b):\n    return 0\n",
        "patch_helper": "def check(got, want):\n    return True\n\ndef add(a, b):\n    return 0\n",
        "replace_builtins": "import builtins\nbuiltins.AssertionError = KeyError\n" + ANSWER,
        "wrong": "def add(a, b):\n    return abs(a) + b\n",
    }


class _Listener:
    """A host TCP server on loopback that records whether anyone connected."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connected = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            self.sock.accept()
            self.connected = True
        except OSError:
            pass


def _digest(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def _reports(out: Path, sid: str) -> dict:
    path = out / "autograded" / sid / "tiny" / "tiny.ipynb"
    if not path.is_file():  # its kernel was killed: nbgrader wrote no notebook
        return {}
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines():
                if line.startswith("REPORT "):
                    return json.loads(line[len("REPORT ") :])
    return {}


def _running(marker: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline and "pytest" not in cmdline:
            found.append(cmdline)
    return found


def test_attacks_fail_or_are_flagged_and_honest_students_keep_full_marks(tmp_path):
    masters, release, max_score = make_course(tmp_path / "course")
    out, runtime = tmp_path / "out", tmp_path / "host-runtime"
    runtime.mkdir()
    (runtime / "kernel-4242.json").write_text('{"key": "host kernel"}')
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    secret.chmod(0o600)
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(tmp_path / "host.sock"))
    unix.listen()
    listener = _Listener()
    zip_path = tmp_path / "batch.zip"
    out.mkdir()
    (out / "grades.csv").write_text("student_id,assignment\n")
    protected = [ROOT / "autograder" / "grade.py", ROOT / "nbgrader_config.py", out / "grades.csv"]
    host = {
        "secrets": [
            str(secret),
            str(zip_path),
            str(ROOT / "nbgrader_config.py"),
            "/etc/shadow",
            "/root/.bashrc",
        ],
        "folders": [str(ROOT / "solutions"), str(ROOT / ".git"), "/home", str(out), str(tmp_path)],
        "writable": [*map(str, protected), str(out / "autograded" / "aaa_honest" / "tiny" / "tiny.ipynb")],
        "port": str(listener.port),
        "unix": str(tmp_path / "host.sock"),
        "runtime": str(runtime),
    }
    notebooks = {"aaa_honest": ANSWER, **attacks(host), "zzz_honest": ANSWER}
    with zipfile.ZipFile(zip_path, "w") as zf:
        for sid, code in notebooks.items():
            zf.writestr(f"{sid}_tiny.ipynb", nbformat.writes(student(release, code)))
    before = _digest(protected[:2])
    limits = jail.Limits(memory=512 * 2**20, processes=64, disk=64 * 2**20, file_size=64 * 2**20)
    rows = grade("tiny", zip_path, Options(out, timeout=30, masters=masters, limits=limits))
    by_id = {r.student_id: r for r in rows}

    for sid in ("aaa_honest", "zzz_honest"):  # before and after every attack: unchanged
        assert (by_id[sid].status, by_id[sid].score) == ("graded", max_score), by_id[sid]
    assert all(r.status != "error" for r in rows), [r for r in rows if r.status == "error"]

    found = _reports(out, "read_files")
    assert found and all(result != "ok" for result in found.values()), found
    found = _reports(out, "network")
    assert set(found) == {"tcp host", "tcp internet", "unix socket"} and "ok" not in found.values(), found
    assert not listener.connected
    assert _reports(out, "kernel_files") == {"kernel files": []}
    found = _reports(out, "fork_bomb")
    assert found["forked"] < limits.processes, found
    assert by_id["memory_bomb"].score == 0 and "allocated" not in _reports(out, "memory_bomb")
    assert by_id["huge_output"].score == max_score
    autograded = out / "autograded" / "huge_output" / "tiny" / "tiny.ipynb"
    assert autograded.stat().st_size < 40 * 2**20  # capped while it ran (it printed 120 MiB)
    assert "output truncated by the grader" in autograded.read_text()
    found = _reports(out, "disk_fill")
    assert all(v <= limits.disk for k, v in found.items() if k.startswith("wrote")), found
    assert all(v != "ok" for v in _reports(out, "edit_files").values())
    assert _digest(protected[:2]) == before
    assert "PWNED" not in (out / "grades.csv").read_text()
    assert "PWNED" not in (out / "autograded" / "aaa_honest" / "tiny" / "tiny.ipynb").read_text()
    assert _reports(out, "left_running") == {"detached": True}
    assert _running(f"sleep {MARKER}") == []

    for sid, concern in [
        ("hook_blanks_tests", "input transformer"),
        ("patch_helper", "redefines the test helper check"),
        ("replace_builtins", "builtins"),
    ]:
        assert by_id[sid].status == "needs review" and concern in by_id[sid].reason, by_id[sid]
    for sid in ("aaa_honest", "wrong", "fork_bomb"):
        assert by_id[sid].status == "graded", by_id[sid]  # no false alarm

    feedback = (out / "feedback" / "wrong" / "tiny" / "tiny.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", feedback))
    assert by_id["wrong"].score == 0 and HIDDEN_MESSAGE in text  # the name and message of the failure
    assert HIDDEN_LINE not in text and "BEGIN HIDDEN" not in text  # never its source
