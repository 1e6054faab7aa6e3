"""What the lessons say, checked where a test can see it: each fixed error stays fixed.

These read the lesson scripts (lessons/NN_name.py, the notebooks' source) and check their claims
against mtlkit, without running a notebook.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest
import torch
from notebook_runner import REPO

LESSON_DIR = REPO / "lessons"


def prose(prefix: str) -> str:
    """All markdown of lesson ``prefix`` (e.g. "04"), joined."""
    path = next(LESSON_DIR.glob(f"{prefix}_*.py"))
    return "\n".join(c.source for c in jupytext.read(path).cells if c.cell_type == "markdown")


def test_lesson04_states_the_equal_rows_condition_that_makes_both_columns_equal():
    from mtlkit.models import CrossStitchUnit

    text = prose("04")
    assert r"\alpha_{AA} = \alpha_{BA}" in text and r"\alpha_{AB} = \alpha_{BB}" in text
    assert r"$\alpha_{AB} = \alpha_{AA}$ and" not in text, "the old (columns) condition is gone"
    unit = CrossStitchUnit(num_tasks=2, channels=3)
    xs = [torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)]
    row = torch.rand(2, 3)
    with torch.no_grad():
        unit.alpha.copy_(torch.stack([row, row]))  # equal rows: alpha[A, :] = alpha[B, :]
    a, b = unit(xs)
    assert torch.allclose(a, b), "the text's condition gives both columns the same input"
    with torch.no_grad():  # the old text's condition: alpha_AB = alpha_AA and alpha_BA = alpha_BB
        unit.alpha.copy_(torch.stack([torch.stack([row[0], row[0]]), torch.stack([row[1], row[1]])]))
    a, b = unit(xs)
    assert not torch.allclose(a, b)


def test_lesson01_names_ruders_five_mechanisms():
    text = prose("01").lower()
    for mechanism in (
        "data augmentation",
        "attention focusing",
        "eavesdropping",
        "representation bias",
        "regularisation",
    ):
        assert mechanism in text, mechanism


def test_lesson03_counts_the_dead_weights_of_layer4_and_says_so():
    from mtlkit.backbones import create

    text = prose("03")
    assert "most of the last stage" not in text
    assert "§4.2" in text and "three" in text, "He et al.'s CIFAR ResNets have three stages"
    layer4 = create("resnet152", stem="imagenet").stages[4]
    dead = sum(block.conv2.weight.numel() * 8 // 9 for block in list(layer4)[1:])
    share = dead / sum(p.numel() for p in layer4.parameters())
    assert 0.25 < share < 0.33 and "over a quarter" in text


def test_lesson05_says_which_uncertainty_form_and_that_the_total_can_go_negative():
    from mtlkit.weighting import Uncertainty

    text = prose("05")
    assert "regression" in text and "classification" in text and "LibMTL" in text
    weighting = Uncertainty(["fine", "coarse"])
    loss = 0.1
    with torch.no_grad():
        weighting.log_vars.fill_(torch.log(torch.tensor(loss)).item())  # the optimum s = log L
    total = weighting({"fine": torch.tensor(loss), "coarse": torch.tensor(loss)})
    assert total.item() < 0 and "negative" in text


@pytest.mark.parametrize("path", sorted(LESSON_DIR.glob("0[1-6]_*.py")), ids=lambda p: p.stem)
def test_every_self_check_question_has_an_answer_cell(path):
    """A **Qn.** is followed by a code cell that checks the answer, or by a written answer."""
    cells = jupytext.read(path).cells
    for i, cell in enumerate(cells):
        for question in re.findall(r"\*\*Q(\d+)\.\*\*", cell.source if cell.cell_type == "markdown" else ""):
            after = cell.source.split(f"**Q{question}.**", 1)[1].split("**Q", 1)[0]
            written = "<details>" in after
            following = cells[i + 1] if i + 1 < len(cells) else None
            checked = following is not None and following.cell_type == "code" and "check." in following.source
            assert written or checked, f"Q{question} has no answer cell"


@pytest.mark.parametrize("path", sorted(LESSON_DIR.glob("0[1-6]_*.py")), ids=lambda p: p.stem)
def test_each_lesson_links_its_exercise(path):
    links = re.findall(r"\]\(\.\./(exercises/[^)]+\.ipynb)\)", prose(path.name[:2]))
    assert links, "the lesson links its exercise"
    assert all((REPO / link).is_file() and Path(link).name.startswith(path.name[:2]) for link in links)


@pytest.mark.parametrize("path", sorted(LESSON_DIR.glob("0[1-7]_*.py")), ids=lambda p: p.stem)
def test_the_settings_cell_states_the_full_run_time(path):
    settings = next(c for c in jupytext.read(path).cells if c.cell_type == "code").source
    assert re.search(r"^# Full run \(QUICK = False\) on 2 CPU cores: ", settings, re.MULTILINE)
    if path.name < "07":  # lesson 7's full run on a GPU is a capstone grid: unmeasured, and says so
        assert re.search(r"^# On one H200 GPU: \d+ s \(lessons/README.md\)", settings, re.MULTILINE)


@pytest.mark.parametrize("path", sorted(LESSON_DIR.glob("0[1-7]_*.ipynb")), ids=lambda p: p.stem)
def test_the_course_readme_links_every_lesson_and_times_its_full_run(path):
    """lessons/README.md's table of lessons links each notebook; its table of full runs has a row each."""
    readme = (LESSON_DIR / "README.md").read_text()
    number = int(path.name[:2])
    assert re.search(rf"^\| {number} \| \[{path.name}\]\({path.name}\) \|", readme, re.MULTILINE)
    assert re.search(rf"^\| {number} \| [\d,]+ s \| [\d,]+ s \|", readme, re.MULTILINE)
