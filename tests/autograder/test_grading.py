"""End-to-end grading with real nbgrader and real kernels (no mocks); scores come from nbgrader's gradebook.

Each assignment: the master scores full marks, the released blank 0, the first answer alone exactly
that answer's points, and a plausible wrong answer passes its visible test but loses its hidden points.
One batch covers the hostile cases: edited/deleted tests, an infinite loop, a kernel crash, corrupt,
empty, misnamed and foreign notebooks, and a submission that tries to change grades.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3

import nbformat
import pytest
from autograder_helpers import (
    ASSIGNMENTS,
    ROOT,
    answers,
    autograde_seconds,
    forge_cell,
    grade_id,
    master,
    points,
    read_grades,
    release,
    run_grader,
    student,
    write,
)

pytestmark = pytest.mark.slow

# A plausible mistake per assignment that the visible tests let through and a hidden test catches.
WRONG = {
    "01_hard_sharing": (
        "answer_model",
        """class HardSharingNet(nn.Module):  # the trunk lacks its final ReLU
    def __init__(self, in_features, hidden, tasks):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.heads = nn.ModuleDict({t: nn.Linear(hidden, n) for t, n in tasks.items()})

    def forward(self, x):
        features = self.trunk(x)
        return {t: head(features) for t, head in self.heads.items()}""",
    ),
    "02_superclasses": (
        "answer_accuracy",
        """def coarse_from_fine_accuracy(fine_logits, coarse_labels, coarse_of_fine):  # argmax of summed probs
    probs = coarse_probs(fine_logits, coarse_of_fine, int(coarse_of_fine.max()) + 1)
    return (probs.argmax(1) == coarse_labels).float().mean().item()""",
    ),
    "03_attention": (
        "answer_self_attention",
        """def self_attention(x, in_weight, in_bias, out_weight, out_bias, heads):  # scaled by sqrt(D), not sqrt(D/h)
    b, n, d = x.shape
    q, k, v = (x @ in_weight.T + in_bias).chunk(3, dim=-1)
    q = q * math.sqrt(d // heads) / math.sqrt(d)
    q, k, v = (t.reshape(b, n, heads, d // heads).transpose(1, 2) for t in (q, k, v))
    return attention(q, k, v).transpose(1, 2).reshape(b, n, d) @ out_weight.T + out_bias""",
    ),
    "04_cross_stitch": (
        "answer_unit",
        """class CrossStitch(nn.Module):  # mixes with alpha transposed
    def __init__(self, num_tasks, self_weight=0.9):
        super().__init__()
        self.alpha = nn.Parameter(cross_stitch_init(num_tasks, self_weight))

    def forward(self, xs):
        if len(xs) != self.alpha.shape[0]:
            raise ValueError("wrong number of inputs")
        return list(torch.tensordot(self.alpha.T, torch.stack(xs), dims=([1], [0])).unbind(0))""",
    ),
    "05_weighting": (
        "answer_dwa",
        """def dwa_weights(history, tasks, temperature=2.0):  # off by one: always the first two epochs
    if len(history) < 2:
        return {t: 1.0 for t in tasks}
    ratios = {t: history[1][t] / history[0][t] for t in tasks}
    norm = sum(math.exp(r / temperature) for r in ratios.values())
    return {t: len(tasks) * math.exp(ratios[t] / temperature) / norm for t in tasks}""",
    ),
    "06_evaluation": (
        "answer_delta_m",
        """def delta_m(mtl, single, lower_is_better=()):  # ignores lower-is-better metrics
    return sum((mtl[t] - b) / b for t, b in single.items()) / len(single)""",
    ),
}


def _rows(out, assignment):
    return {r["student_id"]: r for r in read_grades(out, assignment)}


def _score(row) -> float:
    assert row["status"] == "graded", row
    return float(row["score"])


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_master_full_blank_zero_partial_and_wrong(assignment, tmp_path, autograde_times):
    subs, out = tmp_path / "subs", tmp_path / "out"
    first = answers(assignment)[0]
    wrong_id, wrong_source = WRONG[assignment]
    write(master(assignment), subs / f"master_{assignment}.ipynb")
    write(release(assignment), subs / f"blank_{assignment}.ipynb")
    write(student(assignment, solved=[first]), subs / f"partial_{assignment}.ipynb")
    write(
        student(assignment, solved=answers(assignment), replace={wrong_id: wrong_source}),
        subs / f"wrong_{assignment}.ipynb",
    )
    result = run_grader(assignment, subs, out)
    autograde_times[assignment] = autograde_seconds(result.stderr)  # reported, not asserted (<= 30 s each)
    rows, total = _rows(out, assignment), points(assignment)
    assert total > 0 and set(rows) == {"master", "blank", "partial", "wrong"}
    assert _score(rows["master"]) == total and float(rows["master"]["max_score"]) == total
    assert _score(rows["blank"]) == 0
    first_points = points(assignment, f"test_{first.removeprefix('answer_')}_")
    assert 0 < first_points < total
    assert _score(rows["partial"]) == first_points
    hidden = points(assignment, f"test_{wrong_id.removeprefix('answer_')}_hidden")
    assert _score(rows["wrong"]) == total - hidden, rows["wrong"]["reason"]
    assert f"test_{wrong_id.removeprefix('answer_')}_hidden" in rows["wrong"]["reason"]
    for sid in rows:
        assert (out / "feedback" / sid / assignment / f"{assignment}.html").is_file()
        graded = nbformat.read(out / "autograded" / sid / assignment / f"{assignment}.ipynb", as_version=4)
        assert any("BEGIN HIDDEN TESTS" in c.source for c in graded.cells)  # graded with the hidden tests


BATCH = "06_evaluation"


def _attack(out, subs) -> str:
    """Student code that tries to change grades through every file it might reach; prints what happened.

    Absolute targets: grades.csv, the instructor's gradebook, another student's upload and outputs, the
    master (opened for appending, nothing written: a failed sandbox must not damage the repository).
    """
    fake = "student_id,assignment,score,max_score,status,reason,submission\\nmallory,06_evaluation,8,8,graded,,x\\n"
    master = ROOT / "solutions" / BATCH / f"{BATCH}.ipynb"
    return f"""import errno, glob, json, pathlib, sqlite3
FAKE, report = "{fake}", {{}}
def attempt(target, write):
    try:
        pathlib.Path(target).parent.mkdir(parents=True, exist_ok=True)
        write(target)
        report[target] = "done"
    except OSError as err:
        report[target] = errno.errorcode.get(err.errno, str(err))
    except sqlite3.Error as err:
        report[target] = type(err).__name__
def update(db):
    con = sqlite3.connect(db)
    con.execute("update grade set manual_score = 100")
    con.commit()
for target in [r"{out}/grades.csv", "grades.csv", "../grades.csv", "../../grades.csv", "gradebook.db",
               "../gradebook.db", "../../gradebook.db", "../course/gradebook.db", "../../course/gradebook.db"]:
    attempt(target, lambda t: pathlib.Path(t).write_text(FAKE))
for target in [r"{subs}/ok_06_evaluation.ipynb", r"{out}/submitted/ok/06_evaluation/06_evaluation.ipynb",
               r"{out}/autograded/ok/06_evaluation/06_evaluation.ipynb"]:
    attempt(target, lambda t: pathlib.Path(t).write_text("{{}}"))
attempt(r"{master}", lambda t: open(t, "ab").close())
for db in [r"{out}/gradebook.db", *glob.glob("/tmp/mtlkit-grade-*/**/gradebook.db", recursive=True)]:
    attempt(db, update)
print("ATTACK " + json.dumps(report))"""


def _attack_report(out) -> dict[str, str]:
    """What the attack's first cell printed, from the student's autograded notebook."""
    nb = nbformat.read(out / "autograded" / "mallory" / BATCH / f"{BATCH}.ipynb", as_version=4)
    texts = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    line = next(t for t in texts if t.startswith("ATTACK "))
    return json.loads(line.removeprefix("ATTACK ").splitlines()[0])


def _decoy_gradebook(path) -> bytes:
    """An instructor's gradebook next to grades.csv (the plain nbgrader workflow keeps one there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as con:
        con.execute("create table grade (id text, manual_score real)")
        con.execute("insert into grade values ('test_delta_m_hidden', 0)")
        con.commit()
    return path.read_bytes()


def test_batch_of_hostile_and_broken_submissions(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    solved = answers(BATCH)
    total = points(BATCH)
    ok = write(student(BATCH, solved=solved), subs / f"ok_{BATCH}.ipynb")
    ok_bytes = ok.read_bytes()
    # all answers blank, every test replaced by `pass`, one test deleted: graded on the restored tests
    tests = [grade_id(c) for c in release(BATCH).cells if c.metadata.get("nbgrader", {}).get("grade")]
    cheater = student(BATCH, replace={t: "pass" for t in tests})
    cheater.cells = [c for c in cheater.cells if grade_id(c) != "test_interval_visible"]
    write(cheater, subs / f"cheater_{BATCH}.ipynb")
    editor = student(BATCH, solved=solved)  # right answers, tests deleted: the restored tests still pass
    editor.cells = [
        c for c in editor.cells if grade_id(c) not in ("test_delta_m_visible", "test_interval_hidden")
    ]
    write(editor, subs / f"editor_{BATCH}.ipynb")
    write(
        student(BATCH, solved=solved[:1], replace={solved[1]: "while True:\n    pass"}),
        subs / f"looper_{BATCH}.ipynb",
    )
    crasher = student(BATCH, solved=solved)
    next(c for c in crasher.cells if c.cell_type == "code").source = "import os\nos._exit(1)"
    write(crasher, subs / f"crasher_{BATCH}.ipynb")
    (subs / f"corrupt_{BATCH}.ipynb").write_text('{"cells": [')
    (subs / f"empty_{BATCH}.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    write(student(BATCH, solved=solved), subs / "misnamed_homework.ipynb")
    write(release("01_hard_sharing"), subs / f"other_{BATCH}.ipynb")
    mallory = student(BATCH)
    mallory.cells.append(nbformat.v4.new_code_cell(_attack(out, subs)))
    mallory.cells.insert(1, nbformat.v4.new_code_cell(_attack(out, subs)))
    mallory.cells.insert(2, nbformat.v4.new_code_cell(forge_cell(10, total)))  # fake results for all
    write(mallory, subs / f"mallory_{BATCH}.ipynb")

    master_bytes = (ROOT / "solutions" / BATCH / f"{BATCH}.ipynb").read_bytes()
    gradebook_bytes = _decoy_gradebook(out / "gradebook.db")
    from autograder import namespace

    mode = "auto" if namespace.problem() else "namespace"  # auto: user where it works, else none
    result = run_grader(BATCH, subs, out, "--timeout", "15", "--sandbox", mode)
    rows = _rows(out, BATCH)
    assert len(read_grades(out, BATCH)) == 10  # one row per submission, nothing lost
    assert _score(rows["ok"]) == total
    assert _score(rows["cheater"]) == 0 and "re-inserted test_interval_visible" in rows["cheater"]["reason"]
    assert _score(rows["editor"]) == total and "re-inserted test_delta_m_visible" in rows["editor"]["reason"]
    assert _score(rows["looper"]) == points(BATCH, "test_delta_m_")
    assert "interrupted" in rows["looper"]["reason"]
    assert _score(rows["crasher"]) == 0 and "kernel died" in rows["crasher"]["reason"]
    for sid, reason in [
        ("corrupt", "not JSON"),
        ("empty", "no cells"),
        ("misnamed", "wrong file name"),
        ("other", "wrong notebook"),
    ]:
        assert rows[sid]["status"] == "error" and reason in rows[sid]["reason"], rows[sid]
        assert rows[sid]["score"] == ""
    # the attack changed no grade: its own is 0 (or refused), the others' are above, the files are intact
    assert rows["mallory"]["score"] in ("0", "") and rows["mallory"]["status"] in ("graded", "error")
    if rows["mallory"]["status"] == "error":
        assert "modified" in rows["mallory"]["reason"]
    assert (out / "submitted" / "ok" / BATCH / f"{BATCH}.ipynb").read_bytes() == ok_bytes
    assert nbformat.read(out / "autograded" / "ok" / BATCH / f"{BATCH}.ipynb", as_version=4).cells
    assert (ROOT / "solutions" / BATCH / f"{BATCH}.ipynb").read_bytes() == master_bytes
    if "sandbox=namespace" in result.stderr:  # not merely detected afterwards: no write got through
        assert _score(rows["mallory"]) == 0  # its private gradebook was never touched
        attack = _attack_report(out)
        absolute = {t: outcome for t, outcome in attack.items() if t.startswith("/")}
        assert len(absolute) >= 6 and set(absolute.values()) <= {"EROFS", "OperationalError"}, attack
        assert attack[str(out / "grades.csv")] == attack[str(subs / f"ok_{BATCH}.ipynb")] == "EROFS"
        assert attack[str(ROOT / "solutions" / BATCH / f"{BATCH}.ipynb")] == "EROFS"
        assert ok.read_bytes() == ok_bytes  # the other student's original upload
        assert (out / "gradebook.db").read_bytes() == gradebook_bytes

    # re-running (here on two of the files) is safe: same grades for them, every other row kept
    rerun = tmp_path / "rerun"
    write(student(BATCH, solved=solved), rerun / f"ok_{BATCH}.ipynb")
    (rerun / f"corrupt_{BATCH}.ipynb").write_text('{"cells": [')
    run_grader(BATCH, rerun, out, "--timeout", "15")
    again = _rows(out, BATCH)
    assert len(read_grades(out, BATCH)) == 10
    assert again == rows


def test_user_sandbox_blocks_writes_by_absolute_path(tmp_path):
    """With the grader as root, a kernel runs as its own uid: the grader's files are out of its reach."""
    from autograder import sandbox

    if sandbox.choose_mode("auto", tmp_path / "probe")[0] != "user":
        pytest.skip("needs root and an interpreter an unprivileged uid can run (see autograder/README.md)")
    subs, out = tmp_path / "subs", tmp_path / "out"
    precious = tmp_path / "precious.txt"
    precious.write_text("intact")
    nb = student(BATCH, solved=answers(BATCH))
    nb.cells.append(
        nbformat.v4.new_code_cell(f"import pathlib\npathlib.Path(r'{precious}').write_text('owned')")
    )
    nb.cells.insert(1, nbformat.v4.new_code_cell(forge_cell(2, 0)))  # fake results: itself at 0
    write(nb, subs / f"mallory_{BATCH}.ipynb")
    run_grader(BATCH, subs, out, "--sandbox", "user")
    row = _rows(out, BATCH)["mallory"]
    assert precious.read_text() == "intact"
    assert _score(row) == points(BATCH)
