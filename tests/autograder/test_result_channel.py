"""Student code cannot forge the results the grading child reports to the grader (real nbgrader, real kernels).

Every result travels on a private pipe, authenticated with a per-batch key, and is accepted only for the
student being graded; the kernel's stdout/stderr are files in its sandbox. Forged lines for oneself,
for a classmate graded before or after, for an index not in the batch, and a garbage line change no
grade and do not stop the batch, in every sandbox mode that runs here. No line is read beyond a size cap.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import nbformat
import pytest
from autograder_helpers import (
    answers,
    forge_cell,
    points,
    printed_report,
    read_grades,
    release,
    run_grader,
    student,
    write,
)

from autograder import channel

A = "06_evaluation"


def _modes() -> list[str]:
    from autograder import namespace, sandbox

    modes = ["none"] + ([] if namespace.problem() else ["namespace"])
    with tempfile.TemporaryDirectory(prefix="mtlkit-probe-") as tmp:
        if sandbox.choose_mode("auto", Path(tmp) / "probe")[0] == "user":
            modes.append("user")
    return modes


@pytest.mark.slow
@pytest.mark.parametrize("mode", _modes())
def test_forged_result_lines_change_no_grade(mode, tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    total = points(A)
    # sorted: aforger (index 0: forges for classmates not graded yet), bob, carol, zforger (last: after them)
    for name in ("aforger", "zforger"):
        nb = release(A)
        nb.cells.insert(1, nbformat.v4.new_code_cell(forge_cell(4, total)))
        write(nb, subs / f"{name}_{A}.ipynb")
    for name in ("bob", "carol"):
        write(student(A, solved=answers(A)), subs / f"{name}_{A}.ipynb")
    result = run_grader(A, subs, out, "--timeout", "15", "--sandbox", mode)
    assert f"sandbox={mode}" in result.stderr
    rows = {r["student_id"]: r for r in read_grades(out, A)}
    assert set(rows) == {"aforger", "bob", "carol", "zforger"}, rows
    for sid in ("bob", "carol"):
        assert (rows[sid]["status"], rows[sid]["score"]) == ("graded", f"{total:g}"), rows[sid]
    for sid in ("aforger", "zforger"):
        assert (rows[sid]["status"], rows[sid]["score"]) == ("graded", "0"), rows[sid]
        forged = printed_report(out, sid, A, "FORGE")
        assert forged["fd1"] == forged["fd2"] == "done"  # it wrote, into its own sandbox files
        reached = [k for k, v in forged.items() if k.startswith("parent_fd_") and v == "done"]
        if mode != "none":  # the grading child's pipes are out of reach
            assert not reached, forged
        elif reached:  # as the grader's own user it reached them: the lines were seen and ignored
            assert "ignored" in rows[sid]["reason"], rows[sid]
    for sid in rows:
        assert (out / "feedback" / sid / A / f"{A}.html").read_text() != "forged"


KEY = channel.new_key()


def test_result_lines_count_only_with_the_key_and_for_the_student_being_graded():
    outcome = {"index": 3, "score": 8}
    line = channel.result_line(KEY, outcome).decode()
    assert line.startswith("\n") and line.endswith("\n")
    assert channel.read_result(KEY, line, 3) == outcome
    assert channel.read_result(KEY, line, 4) is None  # another student's slot
    assert channel.read_result(channel.new_key(), line, 3) is None  # another batch's key
    forged = json.dumps({"index": 3, "score": 8})
    mac = line.strip().split(" ", 1)[0]
    for bad in (forged, "{x", "", f"{mac} {json.dumps({'index': 3, 'score': 0})}", f"{mac} {{x"):
        assert channel.read_result(KEY, bad, 3) is None


def test_acknowledgements_are_per_student_and_authenticated():
    assert channel.is_ack(KEY, channel.ack_line(KEY, 2), 2)
    assert not channel.is_ack(KEY, channel.ack_line(KEY, 2), 3)
    assert not channel.is_ack(KEY, "ack 2 0000\n", 2)
    assert not channel.is_ack(channel.new_key(), channel.ack_line(KEY, 2), 2)


def test_the_pump_skips_lines_longer_than_its_limit():
    import io
    import queue

    from autograder import runner

    lines: queue.Queue = queue.Queue()
    stream = io.StringIO("short\n" + "x" * 2500 + "\nafter\n" + "y" * 40)
    runner._pump(stream, lines, limit=1000)
    got = []
    while (line := lines.get_nowait()) is not None:
        got.append(line)
    assert got == ["short\n", runner.TOO_LONG, "after\n", "y" * 40]


@pytest.mark.slow
def test_a_result_over_the_size_cap_is_an_error_row_and_the_batch_goes_on(tmp_path, monkeypatch):
    from autograder import runner
    from autograder.grade import Options, grade

    monkeypatch.setattr(runner, "MAX_RESULT_BYTES", 2**19)  # an ordinary result is about 200 kB
    subs, out = tmp_path / "subs", tmp_path / "out"
    big = student(A, solved=answers(A))
    big.cells.insert(1, nbformat.v4.new_code_cell('print("x" * 700_000)'))  # one line: LimitOutput keeps it
    write(big, subs / f"big_{A}.ipynb")
    write(student(A, solved=answers(A)), subs / f"bob_{A}.ipynb")
    grade(A, subs, Options(out, timeout=15, sandbox="none", log=lambda message: None))
    rows = {r["student_id"]: r for r in read_grades(out, A)}
    assert (rows["bob"]["status"], rows["bob"]["score"]) == ("graded", f"{points(A):g}")
    assert rows["big"]["status"] == "error" and "larger than the 0.5 MiB" in rows["big"]["reason"], rows
    assert not (out / "autograded" / "big").exists() and (out / "submitted" / "big").exists()
