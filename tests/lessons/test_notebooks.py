"""Every lesson notebook (lessons/[0-9]*.ipynb): structure, stripped outputs, and a smoke run on CPU.

The execution tests run each notebook top to bottom with ``MTLKIT_SMOKE=1`` in a temporary copy, record
its wall time and print it in the terminal summary against its budget (60 s unless the notebook's
metadata says ``{"mtlkit": {"smoke_budget_s": N}}``), flagging a notebook over it; they never fail on
wall-clock time, which depends on the machine and its load. The self-check placeholders are filled in
with the answers below (``ANSWERS``), so every self-check runs against a real answer. Notebooks that build
a piece of mtlkit by hand are probed after the run, in the same kernel, to check the piece still matches
the library's.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from notebook_runner import (
    BEING_ALIGNED,
    LESSONS,
    PROBE_MARKER,
    REPO,
    SECONDS,
    Run,
    code_cells,
    execute,
    lesson_cases,
    placeholders,
    read,
)

DEFAULT_BUDGET_S = 60.0
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
COLAB_URL = "https://colab.research.google.com/github/mtlkit/mtlkit/blob/main/lessons/{name}"
FIGURE_CALL = re.compile(r"plt\.(subplots|figure|show|imshow)\(|\.(plot|bar|imshow|scatter|hist)\(")
NBGRADER_IMPORT = re.compile(r"^\s*(import|from)\s+nbgrader\b", re.MULTILINE)
STRIPPED_FOLDERS = ("lessons", "solutions", "exercises")
SHARED_DATA = Path(__file__).parents[3] / "shared" / "data"  # the shared/ folder next to the repo

# The self-check answers, as a student would type them: one expression per `my_answer = None  # your
# answer` placeholder, in notebook order (tests/lessons/notebook_runner.py fills them in).
ANSWERS: dict[str, list[str]] = {
    "01": ["sum(9 * a * b + 2 * b for a, b in zip([3, 32, 64, 128], [32, 64, 128, 128]))", "True"],
    "02": ["0.5 + 0.5 * 4 / 99"],
    "03": ["(24 * 256 * 192**2 + 4 * 256**2 * 192) / (24 * 64 * 192**2 + 4 * 64**2 * 192)", "2"],
    "04": ["3 * 3 * (64 + 64 + 128 + 256 + 512)", "1e-3 * 0.5**2", "torch.full((2, 2, 6), 0.5)"],
    "05": [
        "{t: 2 * math.exp(r / 2) / (math.exp(0.5 / 2) + math.exp(0.9 / 2)) for t, r in {'fine': 0.5, 'coarse': 0.9}.items()}",
        "1 / (2 * 0.25)",
        "[0.5, 1.5]",
        "(1 * -2 + 2 * 0.5) / ((1 + 4) ** 0.5 * (4 + 0.25) ** 0.5)",
        "[0.2, 0.5]",
    ],
    "06": [
        "(0.62 - 2.776 * (0.001 / 4) ** 0.5 / 5**0.5, 0.62 + 2.776 * (0.001 / 4) ** 0.5 / 5**0.5)",
        "(1.25 - 1.0) / 1.25",
        "99 / 100",
    ],
    "07": [],
}
UNANSWERED = "fill in my_answer"

# Probes: code run in a lesson's kernel after its last cell; it prints PROBE_MARKER + a JSON object.
PROBES = {
    "01": f"""
import json
_hand = HandHardSharing(tasks, WIDTH)
_lib = HardSharing(create("tiny_cnn", width=WIDTH), tasks)
with torch.no_grad():
    _hand(torch.randn(16, 3, 32, 32) * 3 - 1)  # non-trivial batch-norm statistics
copy_weights(_hand, _lib)
_hand.eval(); _lib.eval()
_x = torch.randn(5, 3, 32, 32, generator=torch.Generator().manual_seed(123))
with torch.no_grad():
    _a, _b = _hand(_x), _lib(_x)
print("{PROBE_MARKER}" + json.dumps({{
    "max_diff": max(float((_a[t] - _b[t]).abs().max()) for t in tasks),
    "tasks": sorted(_a),
    "hand_params": sum(p.numel() for p in _hand.parameters()),
    "lib_params": count_parameters(_lib)["total"],
}}))
""",
    "02": f"""
import json
_seen = []
for _family in browser.dropdown.options[:2]:
    browser.dropdown.value = _family
    browser.button.click()
    _seen.append(list(browser.shown))
print("{PROBE_MARKER}" + json.dumps({{
    "options": list(browser.dropdown.options),
    "seen": _seen,
    "members": [
        [train.class_names["fine"][f] for f in range(len(train.coarse_of_fine))
         if int(train.coarse_of_fine[f]) == train.class_names["coarse"].index(fam)]
        for fam in browser.dropdown.options[:2]
    ],
}}))
""",
    "03": f"""
import json
_lib = create("vit_tiny", embed_dim=EMBED_DIM, depth=DEPTH, num_heads=HEADS, patch_size=PATCH, drop_path_rate=0.0)
_hand = HandViT(embed_dim=EMBED_DIM, depth=DEPTH, num_heads=HEADS, patch=PATCH)
copy_vit_weights(_lib, _hand)
_hand.eval(); _lib.eval()
_x = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(7))
with torch.no_grad():
    _stage_diffs = []
    _h, _l = _hand.embed(_x), _lib.stages[0](_x)
    _stage_diffs.append(float((_h - _l).abs().max()))
    for _block_h, _block_l in zip(_hand.blocks, _lib.stages[1:]):
        _h, _l = _block_h(_h), _block_l(_l)
        _stage_diffs.append(float((_h - _l).abs().max()))
    _out = float((_hand(_x) - _lib(_x)).abs().max())
print("{PROBE_MARKER}" + json.dumps({{
    "stage_diffs": _stage_diffs,
    "output_diff": _out,
    "hand_params": sum(p.numel() for p in _hand.parameters()),
    "lib_params": sum(p.numel() for p in _lib.parameters()),
    "depth": DEPTH,
    "patch": PATCH,
}}))
""",
}

_RUNS: dict[Path, Run] = {}


def lesson(prefix: str) -> Path:
    matches = [p for p in LESSONS if p.name.startswith(prefix + "_")]
    if not matches:
        pytest.fail(f"no lesson notebook lessons/{prefix}_*.ipynb")
    return matches[0]


@pytest.fixture(scope="session")
def executed(lesson_workdir):
    """``executed(path)``: the notebook run once per session (with its probe, if any)."""

    no_cifar = lesson_workdir / "no-cifar"  # as in CI: CIFAR is absent, lessons fall back to shapes

    def run(path: Path) -> Run:
        if path not in _RUNS:
            env = {"MTLKIT_DATA": str(no_cifar)}
            prefix = path.name[:2]
            _RUNS[path] = execute(
                path, lesson_workdir, probe=PROBES.get(prefix), env=env, answers=ANSWERS.get(prefix, [])
            )
        return _RUNS[path]

    return run


# ---------------------------------------------------------------------------------------- structure


def test_lessons_are_found():
    prefixes = {p.name[:2] for p in LESSONS}
    assert {"01", "02", "03"} <= prefixes, f"found {[p.name for p in LESSONS]}"


@pytest.mark.parametrize("path", lesson_cases())
def test_title_cell_has_badge_goals_and_time(path):
    first = read(path).cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# "), "the first cell starts with the lesson's title"
    assert BADGE in first.source
    assert COLAB_URL.format(name=path.name) in first.source, "the Colab badge links to this very notebook"
    assert re.search(r"learning goals", first.source, re.IGNORECASE)
    assert re.search(r"estimated time[^0-9]*\d+\s*min", first.source, re.IGNORECASE)


@pytest.mark.parametrize("path", lesson_cases())
def test_lesson_draws_a_figure_and_never_imports_nbgrader(path):
    sources = "\n".join(c.source for c in code_cells(read(path)))
    assert FIGURE_CALL.search(sources), "every lesson draws at least one matplotlib figure"
    assert not NBGRADER_IMPORT.search(sources), "lessons self-check with asserts / mtlkit.check, not nbgrader"


def committed_notebooks() -> list[Path]:
    """Notebooks under lessons/, solutions/, exercises/ tracked by git (all of them without git)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--", *(f"{f}/*.ipynb" for f in STRIPPED_FOLDERS)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        paths = [REPO / p for p in listed]
    except (OSError, subprocess.CalledProcessError):
        paths = [p for f in STRIPPED_FOLDERS for p in (REPO / f).rglob("*.ipynb")]
    return [p for p in paths if p.is_file() and ".ipynb_checkpoints" not in p.parts]


def test_committed_notebooks_are_stripped():
    notebooks = committed_notebooks()
    dirty = [
        f"{p.relative_to(REPO)} cell {i}"
        for p in notebooks
        for i, cell in enumerate(read(p).cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"run `python scripts/strip_notebooks.py`; outputs or execution counts in: {dirty}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_self_check_placeholder_has_an_answer_in_the_tests(path):
    prefix = path.name[:2]
    assert prefix in ANSWERS, f"add ANSWERS[{prefix!r}]: one answer per `my_answer = None  # your answer`"
    assert len(placeholders(read(path))) == len(ANSWERS[prefix])


@pytest.mark.parametrize("path", [p for p in LESSONS if p.name[:2] != "07"], ids=lambda p: p.stem)
def test_self_checks_hold_a_placeholder_that_is_checked(path):
    """The questions ask the student: the answer is not pre-filled, and the cell checks what is typed in."""
    nb = read(path)
    cells = placeholders(nb)
    assert cells, "the self-check asks at least one question with a `my_answer = None  # your answer` cell"
    for i in cells:
        source = nb.cells[i].source
        assert re.search(r"check\.(answer|filled)\(\s*my_answer", source), f"cell {i} never checks my_answer"


# ---------------------------------------------------------------------------------------- execution


def budget(path: Path) -> float:
    return float(read(path).metadata.get("mtlkit", {}).get("smoke_budget_s", DEFAULT_BUDGET_S))


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_top_to_bottom_in_smoke_mode(path, executed):
    run = executed(path)
    SECONDS[path.name] = (run.seconds, budget(path))
    print(f"\n{path.name}: {run.seconds:.1f} s in smoke mode (budget {budget(path):.0f} s)")
    assert run.error is None, run.error
    text = run.text()
    assert "✗" not in text
    assert UNANSWERED not in text, "a self-check placeholder was left unanswered"
    if run.images() == 0 and path.name[:2] in BEING_ALIGNED:  # a convention, not a crash: xfail for now
        pytest.xfail(BEING_ALIGNED[path.name[:2]] + " (it drew no figure in smoke mode)")
    assert run.images() >= 1, "the notebook drew no figure"


@pytest.mark.slow
def test_lesson01_hand_built_hard_sharing_matches_mtlkit(executed):
    run = executed(lesson("01"))
    assert run.error is None, run.error
    text = run.text()
    for task in ("fine", "coarse"):
        assert f"✓ hand-built hard sharing matches mtlkit.models.HardSharing ({task})" in text
    assert "✓ shared parameter count matches mtlkit" in text
    assert run.probe["tasks"] == ["coarse", "fine"]
    assert run.probe["hand_params"] == run.probe["lib_params"]
    assert run.probe["max_diff"] < 1e-5


@pytest.mark.slow
def test_lesson02_class_browser_widget_headless(executed):
    """Set the dropdown and click the button, as a student would: the browser shows that family."""
    run = executed(lesson("02"))
    assert run.error is None, run.error
    probe = run.probe
    assert len(probe["options"]) >= 2
    assert probe["seen"] == probe["members"]
    assert probe["seen"][0] != probe["seen"][1]


@pytest.mark.slow
def test_lesson02_falls_back_to_shapes_without_cifar(executed):
    run = executed(lesson("02"))
    assert run.error is None, run.error
    text = run.text()
    assert "FALLING BACK to the synthetic `shapes` dataset" in text
    assert "MTLKIT_DATA" in text, "the message says how to provide CIFAR"
    assert "✓ shapes: hand-built coarse labels = mtlkit's" in text


def fake_cifar(root: Path) -> Path:
    """CIFAR-10 and CIFAR-100 in the official pickle layout, small (tests/data/data_helpers.py)."""
    spec = importlib.util.spec_from_file_location("data_helpers", REPO / "tests" / "data" / "data_helpers.py")
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    rng = np.random.default_rng(0)  # random pixels: the writer's own pattern has a constant channel (std 0)
    helpers.fake_images = lambda n, offset: rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    helpers.write_fake_cifar10(root, per_batch=100, n_test=200)
    helpers.write_fake_cifar100(root)
    return root


@pytest.mark.slow
def test_lesson02_takes_the_cifar_path_on_a_fake_cifar(tmp_path):
    """With CIFAR in $MTLKIT_DATA (here a small fake in the official format) lesson 2 studies it, and its
    class browser answers headless (no cell waits for a front-end)."""
    root = fake_cifar(tmp_path / "cifar")
    run = execute(
        lesson("02"), tmp_path, probe=PROBES["02"], env={"MTLKIT_DATA": str(root)}, answers=ANSWERS["02"]
    )
    assert run.error is None, run.error
    text = run.text()
    assert "FALLING BACK" not in text
    assert "cifar100: tasks {'fine': 100, 'coarse': 20}" in text
    assert "✓ cifar10: hand-built coarse labels = mtlkit's" in text
    assert run.probe["seen"] == run.probe["members"] and len(run.probe["options"]) == 20


@pytest.mark.slow
@pytest.mark.cifar
def test_lesson02_on_real_cifar(tmp_path):
    """With the real CIFAR copies (../shared/data), lesson 2 studies CIFAR-10 and CIFAR-100 themselves."""
    script = SHARED_DATA / "unpack_cifar.py"
    if not script.is_file():
        pytest.skip(f"real CIFAR copies not found in {SHARED_DATA}")
    root = tmp_path / "cifar"
    subprocess.run([sys.executable, str(script), str(root)], check=True, capture_output=True)
    run = execute(lesson("02"), tmp_path, env={"MTLKIT_DATA": str(root)})
    assert run.error is None, run.error
    text = run.text()
    assert "FALLING BACK" not in text
    assert "cifar10: majority-class baseline for the coarse task = 60.0%" in text
    assert "cifar100: tasks {'fine': 100, 'coarse': 20}" in text
    assert "✓ cifar10: hand-built coarse labels = mtlkit's" in text
    assert "✓ hand-computed map rule = mtlkit's coarse_from_fine" in text


@pytest.mark.slow
def test_lesson03_hand_built_vit_matches_mtlkit(executed):
    run = executed(lesson("03"))
    assert run.error is None, run.error
    text = run.text()
    assert "✓ hand-built ViT matches mtlkit's vit_tiny" in text
    assert "✓ hand-built attention matches torch's scaled_dot_product_attention" in text
    probe = run.probe
    assert probe["hand_params"] == probe["lib_params"]
    assert len(probe["stage_diffs"]) == probe["depth"] + 1, "embedding + every block compared"
    assert max(probe["stage_diffs"]) < 1e-5
    assert probe["output_diff"] < 1e-5


@pytest.mark.slow
def test_lesson03_with_8x8_patches(tmp_path):
    """As ``papermill 03_backbones.ipynb out.ipynb -p PATCH 8``: the hand-built ViT still matches."""
    run = execute(
        lesson("03"),
        tmp_path,
        probe=PROBES["03"],
        env={"MTLKIT_DATA": str(tmp_path / "no-cifar")},
        parameters={"PATCH": 8},
        answers=ANSWERS["03"],
    )
    assert run.error is None, run.error
    assert "✓ hand-built ViT matches mtlkit's vit_tiny" in run.text()
    assert run.probe["patch"] == 8
    assert max(run.probe["stage_diffs"]) < 1e-5 and run.probe["output_diff"] < 1e-5
