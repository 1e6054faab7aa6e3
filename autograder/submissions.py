"""Find the notebooks in a folder or an LMS zip and tell whose they are.

The naming rules (folders per student, Moodle, Canvas, other flat files, copy suffixes, wrapper folders,
zip entries that cannot be extracted) are listed in autograder/README.md, "How files map to students".
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

_COPY_SUFFIX = re.compile(r"(-\d+| \(\d+\))$")
_COLAB_COPY = re.compile(r"^(?:copy[ _]of[ _])+", re.IGNORECASE)
_TRAILING_COPY = re.compile(r"(?:^|(?<=[ _.-]))(?:copy[ _]of[ _]*)+$", re.IGNORECASE)  # jdoe_Copy of A
_MOODLE = re.compile(r"_(\d+)_assignsubmission_")
_CANVAS = re.compile(r"^[^_]+(?:_late)?_(\d+)_\d+_(.+)$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")
_IGNORED = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db"}
MAX_ZIP_BYTES = 512 * 2**20  # all entries extracted from one zip together
MAX_ENTRY_BYTES = 64 * 2**20  # one notebook; a larger entry is an error row of its own


@dataclass
class Submission:
    """One file (or folder) found in the submissions, graded or explained in one row of grades.csv."""

    origin: str  # path relative to the submissions folder or zip, for the report
    raw_id: str = ""  # the text in the file or folder name the student id is made from
    path: Path | None = None  # the notebook to grade (a staged copy), None when error is set
    error: str = ""

    @property
    def student_id(self) -> str:
        return clean_id(self.raw_id)


def clean_id(raw: str) -> str:
    """A student id safe for nbgrader folder names: letters, digits, ``._@-``."""
    return _UNSAFE.sub("-", raw.strip()).strip(".-")


def _matches(stem: str, assignment: str) -> bool:
    return _COPY_SUFFIX.sub("", stem).endswith(assignment)


def _is_ignored(path: Path) -> bool:
    return path.name in _IGNORED or path.name.startswith(".")


def flat_student(stem: str, assignment: str) -> str:
    """The raw student id in a flat file's name (without ``.ipynb``); '' when the name holds none."""
    stem = _COPY_SUFFIX.sub("", stem)
    moodle = _MOODLE.search(stem)
    if moodle:
        return moodle.group(1)
    canvas = _CANVAS.match(stem)
    if canvas and _matches(canvas.group(2), assignment):
        return canvas.group(1)
    own = _COLAB_COPY.sub("", stem)
    if _matches(own, assignment):  # all before the assignment's name: it may hold '_' or '-' itself
        return _TRAILING_COPY.sub("", own[: -len(assignment)]).rstrip(" _-.")
    return canvas.group(1) if canvas else own.split("_")[0]  # a wrong file name: still say whose


def _from_folder(folder: Path, base: Path, assignment: str) -> list[Submission]:
    moodle = _MOODLE.search(folder.name)
    raw = moodle.group(1) if moodle else folder.name
    links = [p for p in folder.rglob("*") if p.is_symlink()]
    if links:
        origin = str(links[0].relative_to(base))
        return [Submission(origin, raw, error="a symbolic link, not a notebook")]
    notebooks = sorted(
        p
        for p in folder.rglob("*.ipynb")
        if p.is_file() and not any(_is_ignored(Path(part)) for part in p.relative_to(folder).parts)
    )
    if not notebooks:
        origin = str(folder.relative_to(base))
        return [Submission(origin, raw, error="no notebook (.ipynb) in this folder")]
    return [_check_name(p, base, raw, assignment) for p in notebooks]


def _check_name(path: Path, base: Path, raw: str, assignment: str) -> Submission:
    origin = str(path.relative_to(base))
    if not clean_id(raw):
        return Submission(origin, error="cannot tell the student id from the file or folder name")
    if not _matches(path.stem, assignment):
        wrong = f"wrong file name {path.name!r}: expected a notebook named like {assignment}.ipynb"
        return Submission(origin, raw, error=wrong)
    return Submission(origin, raw, path=path)


def _from_file(path: Path, base: Path, assignment: str) -> Submission:
    origin = str(path.relative_to(base))
    raw = flat_student(path.stem, assignment)
    if path.suffix != ".ipynb":
        return Submission(origin, raw, error=f"not a notebook: {path.name!r}")
    if not raw:
        return Submission(
            origin,
            error=f"cannot tell whose notebook {path.name!r} is (only the assignment's name, as downloaded "
            f"from Colab): rename it '<student_id>_{assignment}.ipynb' or put it in a folder named after "
            "the student",
        )
    return _check_name(path, base, raw, assignment)


def _unwrap(folder: Path) -> Path:
    """Open wrapper folders: while the top level holds a single folder and nothing else, use its content."""
    while True:
        entries = [p for p in folder.iterdir() if not _is_ignored(p)]
        if len(entries) != 1 or not entries[0].is_dir() or entries[0].is_symlink():
            return folder
        folder = entries[0]


def extract_zip(archive: Path, dest: Path) -> tuple[Path, list[Submission]]:
    """Extract an LMS zip into ``dest`` entry by entry; an entry that cannot be (see ``_extract``) is an
    error Submission of nobody's: one bad entry never makes the zip unreadable."""
    failed, total = [], 0
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            parts = [p for p in info.filename.split("/") if p not in ("", ".")]
            if info.is_dir() or not parts or any(p != ".." and _is_ignored(Path(p)) for p in parts):
                continue
            total += info.file_size
            problem = _extract(zf, info, parts, dest, total)
            if problem:
                name = info.filename
                origin = name if len(name) <= 200 else f"{name[:100]}...{name[-97:]}"
                failed.append(Submission(origin, error=f"not extracted from {archive.name}: {problem}"))
    return dest, failed


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, parts: list[str], dest: Path, total: int) -> str:
    """Extract one entry to ``dest/<parts>``; '' when done, else why not (nothing is left behind)."""
    if info.file_size > MAX_ENTRY_BYTES:
        return f"{info.file_size / 2**20:.0f} MiB uncompressed, more than the {MAX_ENTRY_BYTES >> 20} MiB of a notebook"
    if total > MAX_ZIP_BYTES:
        return f"the zip holds more than {MAX_ZIP_BYTES >> 20} MiB before this entry"
    if info.filename.startswith("/") or ".." in parts:
        return "its path leads outside the zip's folder"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link, not a notebook"
    if any(len(part.encode()) > 255 for part in parts):
        return "a file or folder name longer than 255 bytes"
    target = dest.joinpath(*parts)
    if target.exists():
        return "another entry of the zip has the same path"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(info) as src, open(target, "xb") as out:
            shutil.copyfileobj(src, out)
            if out.tell() > MAX_ENTRY_BYTES:  # a header that lies about the size
                raise OSError("more data than the zip's header says")
    except (FileExistsError, NotADirectoryError):  # a folder on the way is an earlier entry's file
        return "another entry of the zip uses the same path for a file and a folder"
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as err:
        target.unlink(missing_ok=True)  # a partial file: the target did not exist before (checked above)
        return f"{type(err).__name__}: {err}"[:200]
    return ""


def collect(source: Path, staging: Path, assignment: str) -> list[Submission]:
    """Copy the submissions (folder, zip or notebook) into ``staging`` and map every entry to a student
    (grading reads only the staged copies: an original edited during grading changes nothing)."""
    staging.mkdir(parents=True, exist_ok=True)
    failed: list[Submission] = []
    if source.is_file() and zipfile.is_zipfile(source):
        base, failed = extract_zip(source, staging / "unzipped")
    elif source.is_dir():
        base = staging / "copied"
        shutil.copytree(source, base, symlinks=True)  # links are copied as links, then refused below
    elif source.is_file() and source.suffix == ".ipynb":
        base = staging / "copied"
        base.mkdir()
        shutil.copy2(source, base / source.name)
    else:
        raise ValueError(f"{source}: expected a folder of notebooks, a .zip or an .ipynb")
    base = _unwrap(base)
    found = failed
    for entry in sorted(base.iterdir()):
        if _is_ignored(entry):
            continue
        if entry.is_symlink():
            found.append(Submission(entry.name, error="a symbolic link, not a notebook"))
        elif entry.is_dir():
            found.extend(_from_folder(entry, base, assignment))
        else:
            found.append(_from_file(entry, base, assignment))
    return _flag_duplicates(found)


def _flag_duplicates(found: list[Submission]) -> list[Submission]:
    """Several gradable notebooks for one student id: grade none of them, say which ones and why."""
    by_student: dict[str, list[Submission]] = {}
    for sub in found:
        if not sub.error:
            by_student.setdefault(sub.student_id, []).append(sub)
    for sid, subs in by_student.items():
        if len(subs) < 2:
            continue
        raws = sorted({s.raw_id for s in subs})
        why = "several notebooks for this student"
        if len(raws) > 1:
            why = f"different names ({', '.join(map(repr, raws))}) give the same student id {sid!r}"
        names = ", ".join(s.origin for s in subs)
        error = f"{why} ({names}): keep one, or rename the files or folders so each id is distinct; re-run"
        for sub in subs:
            sub.path, sub.error = None, error
    return found
