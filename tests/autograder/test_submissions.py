"""Fast tests of the grader's plumbing: file-name rules, LMS zips, notebook checks, test restoring, csv."""

from __future__ import annotations

import stat
import zipfile

import nbformat
import pytest
from autograder_helpers import ASSIGNMENTS, answers, grade_id, release, student

from autograder import drift, integrity, report, submissions
from autograder.repair import Ungradable, read, repair
from autograder.submissions import clean_id, collect

A = "01_hard_sharing"


def _notebook_bytes(nb=None) -> bytes:
    return nbformat.writes(nb or release(A)).encode()


def _by_origin(found):
    return {s.origin: s for s in found}


def test_flat_files_map_to_student_ids(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in [f"jdoe_{A}.ipynb", f"asmith_1234_5678_{A}-1.ipynb", f"late_{A} (1).ipynb", f"{A}.ipynb"]:
        (src / name).write_bytes(_notebook_bytes())
    (src / "bob_homework.ipynb").write_bytes(_notebook_bytes())
    (src / "carl_notes.pdf").write_bytes(b"%PDF")
    (src / ".DS_Store").write_bytes(b"")
    found = _by_origin(collect(src, tmp_path / "stage", A))
    assert found[f"jdoe_{A}.ipynb"].student_id == "jdoe" and not found[f"jdoe_{A}.ipynb"].error
    assert found[f"asmith_1234_5678_{A}-1.ipynb"].student_id == "1234"  # Canvas user id, resubmission suffix
    assert found[f"late_{A} (1).ipynb"].student_id == "late"
    assert "cannot tell whose" in found[f"{A}.ipynb"].error
    assert (
        found["bob_homework.ipynb"].student_id == "bob"
        and "wrong file name" in found["bob_homework.ipynb"].error
    )
    assert "not a notebook" in found["carl_notes.pdf"].error
    assert ".DS_Store" not in found and len(found) == 6


def test_student_folders_moodle_and_nbgrader_layout(tmp_path):
    src = tmp_path / "src"
    moodle = src / "Jane Doe_123456_assignsubmission_file_"
    moodle.mkdir(parents=True)
    (moodle / f"{A}.ipynb").write_bytes(_notebook_bytes())
    nested = src / "kim" / A
    nested.mkdir(parents=True)
    (nested / f"{A}.ipynb").write_bytes(_notebook_bytes())
    (nested / ".ipynb_checkpoints").mkdir()
    (nested / ".ipynb_checkpoints" / f"{A}-checkpoint.ipynb").write_bytes(_notebook_bytes())
    (src / "empty_student").mkdir()
    (src / "empty_student" / "readme.txt").write_text("forgot")
    found = collect(src, tmp_path / "stage", A)
    by_student = {s.student_id: s for s in found}
    assert set(by_student) == {"123456", "kim", "empty_student"}
    assert not by_student["123456"].error and not by_student["kim"].error
    assert "no notebook" in by_student["empty_student"].error


def _collect_files(tmp_path, names):
    src = tmp_path / "src"
    src.mkdir()
    for name in names:
        (src / name).write_bytes(_notebook_bytes())
    return _by_origin(collect(src, tmp_path / "stage", A))


def test_canvas_files_map_to_the_numeric_user_id(tmp_path):
    """``name[_late]_<user id>_<submission id>_<original name>``: two students named alike stay apart."""
    names = [
        f"smithjohn_111_222_{A}.ipynb",
        f"smithjohn_late_333_444_{A}-1.ipynb",
        f"smithjohn_555_666_Copy_of_{A}.ipynb",
    ]
    found = _collect_files(tmp_path, names)
    assert [(found[n].student_id, found[n].error) for n in names] == [("111", ""), ("333", ""), ("555", "")]


def test_canvas_like_names_that_are_not_canvas_keep_the_whole_prefix(tmp_path):
    found = _collect_files(tmp_path, [f"jdoe_123_{A}.ipynb", "smithjohn_111_222_homework.ipynb"])
    assert found[f"jdoe_123_{A}.ipynb"].student_id == "jdoe_123" and not found[f"jdoe_123_{A}.ipynb"].error
    wrong = found["smithjohn_111_222_homework.ipynb"]  # a Canvas download of the wrong file: still whose
    assert wrong.student_id == "111" and "wrong file name" in wrong.error


@pytest.mark.parametrize(
    ("name", "sid"),
    [
        (f"jdoe-{A}.ipynb", "jdoe"),  # not cut inside the assignment's name (06_evaluation -> jdoe-06)
        (f"jdoe {A}.ipynb", "jdoe"),
        (f"jdoe.{A}-1.ipynb", "jdoe"),
        (f"j_doe_{A}.ipynb", "j_doe"),
        (f"jdoe_Copy of {A}.ipynb", "jdoe"),
        (f"jdoe_Copy_of_{A} (2).ipynb", "jdoe"),
        (f"scopy_{A}.ipynb", "scopy"),
    ],
)
def test_other_flat_files_take_everything_before_the_assignments_name(tmp_path, name, sid):
    sub = _collect_files(tmp_path, [name])[name]
    assert (sub.student_id, sub.error) == (sid, ""), sub


def test_ids_that_share_a_first_word_stay_apart(tmp_path):
    found = _collect_files(tmp_path, [f"j_doe_{A}.ipynb", f"j_smith_{A}.ipynb"])
    assert [(s.student_id, s.error) for s in found.values()] == [("j_doe", ""), ("j_smith", "")]


def test_moodle_flat_files_map_to_the_moodle_id(tmp_path):
    names = [
        f"Jane Doe_123456_assignsubmission_file_{A}.ipynb",
        f"Li Wei_777_assignsubmission_file_{A} (1).ipynb",
    ]
    found = _collect_files(tmp_path, names)
    assert [(found[n].student_id, found[n].error) for n in names] == [("123456", ""), ("777", "")]


@pytest.mark.parametrize(
    "name", [f"{A}.ipynb", f"Copy_of_{A}.ipynb", f"Copy of {A}.ipynb", f"Copy of {A} (1).ipynb"]
)
def test_a_bare_colab_download_belongs_to_nobody(tmp_path, name):
    sub = _collect_files(tmp_path, [name])[name]
    assert sub.student_id == "" and sub.path is None
    assert "cannot tell whose notebook" in sub.error and f"<student_id>_{A}.ipynb" in sub.error


def test_a_colab_copy_in_a_student_folder_is_that_students(tmp_path):
    folder = tmp_path / "src" / "kim"
    folder.mkdir(parents=True)
    (folder / f"Copy of {A}.ipynb").write_bytes(_notebook_bytes())
    (tmp_path / "src" / f"lee_{A}.ipynb").write_bytes(_notebook_bytes())
    found = {s.student_id: s for s in collect(tmp_path / "src", tmp_path / "stage", A)}
    assert set(found) == {"kim", "lee"} and not found["kim"].error


def test_distinct_names_that_clean_to_one_id_are_told_apart_from_resubmissions(tmp_path):
    found = _collect_files(
        tmp_path, [f"Jo Smith_{A}.ipynb", f"Jo-Smith_{A}.ipynb", f"ann_{A}.ipynb", f"ann_{A}-1.ipynb"]
    )
    collided = found[f"Jo Smith_{A}.ipynb"]
    assert collided.student_id == "Jo-Smith" and collided.path is None
    assert "different names ('Jo Smith', 'Jo-Smith') give the same student id 'Jo-Smith'" in collided.error
    assert found[f"Jo-Smith_{A}.ipynb"].error == collided.error
    assert "several notebooks for this student" in found[f"ann_{A}.ipynb"].error  # one student, twice


def test_lms_zip_with_wrapper_folder_and_duplicates(tmp_path):
    archive = tmp_path / "canvas.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"submissions/ann_1_2_{A}.ipynb", _notebook_bytes())
        zf.writestr(f"submissions/ben_3_4_{A}.ipynb", _notebook_bytes())
        zf.writestr(f"submissions/ben_3_5_{A}-1.ipynb", _notebook_bytes())
        zf.writestr("../evil.ipynb", _notebook_bytes())  # never extracted outside the staging folder
    found = collect(archive, tmp_path / "stage", A)
    by_origin = _by_origin(found)
    assert not by_origin[f"ann_1_2_{A}.ipynb"].error
    assert all(
        "several notebooks" in by_origin[o].error for o in (f"ben_3_4_{A}.ipynb", f"ben_3_5_{A}-1.ipynb")
    )
    assert not (tmp_path / "evil.ipynb").exists()


def _zip_rows(tmp_path, entries) -> dict[str, object]:
    """collect() on a zip of ``entries`` (name -> bytes, or a ZipInfo -> bytes), by origin."""
    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return _by_origin(collect(archive, tmp_path / "stage", A))


def test_an_entry_with_a_name_too_long_is_one_error_row(tmp_path):
    long = "x" * 300 + f"_{A}.ipynb"
    found = _zip_rows(
        tmp_path, [(f"subs/ann_{A}.ipynb", _notebook_bytes()), (f"subs/{long}", _notebook_bytes())]
    )
    assert not found[f"ann_{A}.ipynb"].error
    (bad,) = [s for o, s in found.items() if o.startswith("subs/xxx")]
    assert "longer than 255 bytes" in bad.error and bad.student_id == "" and bad.path is None
    assert len(bad.origin) <= 200 and bad.origin.endswith(f"_{A}.ipynb")


@pytest.mark.parametrize("order", [1, -1])
def test_entries_that_use_one_path_as_file_and_folder_give_an_error_row(tmp_path, order):
    entries = [("X_/a", b"file"), (f"X_/a/b_{A}.ipynb", _notebook_bytes())][::order]
    found = _zip_rows(tmp_path, [*entries, (f"ann_{A}.ipynb", _notebook_bytes())])
    assert not found[f"ann_{A}.ipynb"].error
    clash = [s for o, s in found.items() if o == entries[1][0]]
    assert len(clash) == 1 and "same path" in clash[0].error, found


def test_a_corrupt_entry_is_one_error_row(tmp_path):
    archive = tmp_path / "lms.zip"
    good, bad = _notebook_bytes(), _notebook_bytes().replace(b'"cells"', b'"CELLS"')
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(f"ann_{A}.ipynb", good)
        zf.writestr(f"bob_{A}.ipynb", bad)
    data = archive.read_bytes()
    archive.write_bytes(data.replace(b'"CELLS"', b'"cells"'))  # bob's bytes no longer match their CRC
    found = _by_origin(collect(archive, tmp_path / "stage", A))
    assert not found[f"ann_{A}.ipynb"].error
    assert "BadZipFile" in found[f"bob_{A}.ipynb"].error and "CRC" in found[f"bob_{A}.ipynb"].error
    assert not (tmp_path / "stage" / "unzipped" / f"bob_{A}.ipynb").exists()  # no partial file


def test_unsafe_zip_paths_and_links_are_error_rows_never_extracted(tmp_path):
    link = zipfile.ZipInfo(f"subs/link_{A}.ipynb")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    found = _zip_rows(
        tmp_path,
        [
            (f"subs/ann_{A}.ipynb", _notebook_bytes()),
            (f"../evil_{A}.ipynb", _notebook_bytes()),
            (f"subs/../../evil2_{A}.ipynb", _notebook_bytes()),
            (f"/abs_{A}.ipynb", _notebook_bytes()),
            (link, b"/etc/passwd"),
            (f"subs/__MACOSX/._ann_{A}.ipynb", b"junk"),  # skipped, as on disk
        ],
    )
    assert not found[f"ann_{A}.ipynb"].error
    for origin in (f"../evil_{A}.ipynb", f"subs/../../evil2_{A}.ipynb", f"/abs_{A}.ipynb"):
        assert "leads outside" in found[origin].error and found[origin].student_id == ""
    assert "symbolic link" in found[f"subs/link_{A}.ipynb"].error
    assert len(found) == 5
    assert not list(tmp_path.glob("evil*")) and not (tmp_path / "stage" / f"evil2_{A}.ipynb").exists()


def test_clean_id():
    assert clean_id(" Jo Smith/../x ") == "Jo-Smith-..-x"
    assert clean_id("a.b@uni.edu") == "a.b@uni.edu"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "no 'cells'"),
        (b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "no cells"),
        (
            b'{"cells": [{"cell_type": "bogus"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
            "not a valid",
        ),
    ],
)
def test_unreadable_notebooks_have_reasons(data, reason):
    with pytest.raises(Ungradable, match=reason):
        read(data)


def test_wrong_notebook_is_refused():
    with pytest.raises(Ungradable, match="wrong notebook"):
        repair(release("02_superclasses"), release(A))


def test_drift_ignores_volatile_fields_but_not_sources():
    committed, fresh = release(A), release(A)
    committed.cells[0].metadata["collapsed"] = True
    assert drift.differences(committed, fresh) == []
    committed.cells[1].source += "\n# changed"
    committed.cells[2].outputs = [nbformat.v4.new_output("stream", text="hi")]
    problems = drift.differences(committed, fresh)
    assert problems == ["cell 1: source differ", "cells [2] have outputs or execution counts (strip them)"]


def test_grades_csv_replaces_regraded_students_and_keeps_the_rest(tmp_path):
    path = tmp_path / "grades.csv"
    report.write(
        path,
        [
            report.Row("ann", "a1", 3.0, 6.0, "graded", "", "ann.ipynb"),
            report.Row("bo", "a1", 2.0, 6.0, "graded", "", "bo.ipynb"),
        ],
    )
    report.write(path, [report.Row("ann", "a2", None, 5.0, "error", "not JSON", "x.ipynb")])
    report.write(path, [report.Row("ann", "a1", 6.0, 6.0, "graded", "", "ann-1.ipynb")])  # a re-run
    rows = report.read(path)
    assert [(r["assignment"], r["student_id"], r["score"], r["status"]) for r in rows] == [
        ("a1", "ann", "6", "graded"),
        ("a1", "bo", "2", "graded"),
        ("a2", "ann", "", "error"),
    ]
    assert path.read_text().splitlines()[0] == ",".join(report.FIELDS)


def test_metadata_dropped_by_an_editor_is_reattached_in_order():
    nb = student(A, solved=["answer_count"])
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    fixed, changes = repair(nb, release(A))
    ids = [grade_id(c) for c in fixed.cells if grade_id(c)]
    assert ids == [grade_id(c) for c in release(A).cells if grade_id(c)]
    assert "re-attached answer_count" in changes and "re-attached test_count_hidden" in changes
    answer = next(c for c in fixed.cells if grade_id(c) == "answer_count")
    assert "sum(p.numel()" in answer.source  # the student's own answer is what gets graded


def test_symbolic_links_in_a_submissions_folder_are_error_rows_never_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    src = tmp_path / "src"
    (src / "bob").mkdir(parents=True)
    (src / f"ann_{A}.ipynb").write_bytes(_notebook_bytes())
    (src / f"eve_{A}.ipynb").symlink_to(secret)  # a flat file
    (src / "bob" / f"{A}.ipynb").symlink_to(secret)  # inside a student's folder
    found = _by_origin(collect(src, tmp_path / "stage", A))
    assert not found[f"ann_{A}.ipynb"].error
    assert "symbolic link" in found[f"eve_{A}.ipynb"].error
    assert "symbolic link" in found[f"bob/{A}.ipynb"].error and found[f"bob/{A}.ipynb"].path is None
    staged = [p for p in (tmp_path / "stage").rglob("*") if p.is_file() and not p.is_symlink()]
    assert "TOP-SECRET" not in "".join(p.read_text() for p in staged)  # never copied


def test_one_oversized_zip_entry_is_an_error_row_and_the_rest_is_graded(tmp_path, monkeypatch):
    monkeypatch.setattr(submissions, "MAX_ENTRY_BYTES", 2**20)
    found = _zip_rows(tmp_path, [(f"ann_{A}.ipynb", _notebook_bytes()), (f"bob_{A}.ipynb", b" " * 2**21)])
    assert not found[f"ann_{A}.ipynb"].error
    assert "more than the 1 MiB of a notebook" in found[f"bob_{A}.ipynb"].error


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(tmp_path):
    evil = report.Row("=HYPERLINK(1)", "a", 1.0, 2.0, "graded", "+cmd", "@sum.ipynb")
    report.write(tmp_path / "grades.csv", [evil, report.Row("-x", "a", None, 2.0, "error", "ok", "f")])
    rows = report.read(tmp_path / "grades.csv")
    assert {r["student_id"] for r in rows} == {"'=HYPERLINK(1)", "'-x"}
    assert {r["reason"] for r in rows} == {"'+cmd", "ok"} and "'@sum.ipynb" in {r["submission"] for r in rows}
    assert {r["score"] for r in rows} == {"1", ""}
    report.write(tmp_path / "grades.csv", [report.Row("-x", "a", 2.0, 2.0, "graded", "", "f")])  # a re-run
    assert [r["score"] for r in report.read(tmp_path / "grades.csv") if r["student_id"] == "'-x"] == ["2"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_reference_answers_raise_no_integrity_flag(assignment):
    assert integrity.concerns(student(assignment, solved=answers(assignment)), release(assignment)) == []


def test_hooks_patches_and_built_code_are_flagged_with_the_cell():
    tricks = {
        "get_ipython().ast_transformers.append(object())": "AST transformer",
        "import torch\ntorch.allclose = lambda *a, **k: True": "patches the module torch",
        "setattr(__builtins__, 'len', lambda x: 0)": "uses __builtins__",
        "exec('x = 1')": "uses exec",
    }
    for code, concern in tricks.items():
        nb = student(A, replace={answers(A)[0]: code})
        found = integrity.concerns(nb, release(A))
        assert any(concern in f and f.startswith("cell ") for f in found), (code, found)
