"""study.py holds the study's published cells: checked against the report's own tables when the course's
copy of the study's documents is present (../shared/study), and a few cells by hand otherwise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mtlkit.capstone import grid, presets, study


def report_text() -> str | None:
    """The study's report as text, from a ``shared/study`` folder next to the repository (or above)."""
    for folder in Path(__file__).resolve().parents:
        path = folder / "shared" / "study" / study.REPORT
        if path.is_file():
            return path.read_text()
    return None


def tables(text: str) -> dict[int, list[dict[str, str]]]:
    """{figure number: rows as {header: cell}} of the report's tab-separated tables."""
    found, header, rows = {}, None, []
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("\t")]
        if cells[0] == "Model #":
            header, rows = cells, []
        elif header and re.fullmatch(r"\d+", cells[0]) and len(cells) > 1:
            rows.append(dict(zip(header, cells, strict=False)))
        caption = re.match(r"Figure (\d+)\.", line)
        if caption and header:
            found[int(caption.group(1))], header = rows, None
    return found


def test_a_few_published_cells_and_their_sources():
    # class_report.txt, Figures 3, 5, 7 and 8 (as quoted in the capstone's issue)
    assert study.accuracy("cifar10", "vit", "stl_fine", "fine") == 0.659
    assert study.cell("cifar10", "vit", "stl_fine").source == "class_report.txt, Figure 3, model 3"
    assert study.cell("cifar10", "vit", "stl_fine").config == {
        "optimizer": "adam",
        "batch_size": 256,
        "dropout": 0.5,
    }
    assert study.accuracy("cifar100", "vit", "stl_fine", "fine") == 0.302
    assert study.cell("cifar100", "vit", "stl_fine").config["batch_size"] == 128
    assert study.cell("cifar10", "vit", "mtl").accuracy == {"fine": 0.675, "coarse": 0.937}
    assert study.cell("cifar100", "vit", "mtl").accuracy == {"fine": 0.335, "coarse": 0.491}
    assert study.cell("cifar100", "vit", "mtl").source == "class_report.txt, Figure 8, model 1"
    assert len(study.PUBLISHED) == 12
    assert study.accuracy("shapes", "cnn", "mtl", "fine") is None


@pytest.mark.skipif(report_text() is None, reason="the study's documents (shared/study) are not here")
def test_every_cell_is_its_tables_best_test_accuracy_with_the_winning_configuration():
    found = tables(report_text())
    assert sorted(found) == list(range(3, 15))
    for (_, _, mode), cell in study.PUBLISHED.items():
        rows = found[cell.figure]
        assert len(rows) == cell.candidates
        column = next(c for c in rows[0] if c.startswith("Test Acc"))
        accs = [[float(a) for a in r[column].split(",")] for r in rows]
        winner = rows[cell.model - 1]
        assert winner["Model #"] == str(cell.model)
        got = accs[cell.model - 1]
        assert got[0] == max(a[0] for a in accs)  # best (fine) test accuracy of the table
        tasks = ["fine", "coarse"] if mode == "mtl" else [mode.removeprefix("stl_")]
        assert cell.accuracy == dict(zip(tasks, got, strict=True))
        assert cell.config["batch_size"] == int(winner["Batch Size"])
        assert cell.config["dropout"] == float(winner["Dropout (Dense Layer)"])
        assert cell.config["optimizer"] == winner["Optimizer"].lower()
        assert cell.config.get("gamma") == (float(winner["Gamma"]) if "Gamma" in winner else None)
        caption_time = re.findall(
            r"Time per epoch: ~\s*(\d+)", report_text().split(f"Figure {cell.figure}.")[0]
        )
        assert cell.seconds_per_epoch == float(caption_time[-1])


def test_the_seed_preset_trains_each_cell_with_the_configuration_that_won_it():
    runs = grid.plan(presets.get("seed"), seeds=[0])
    assert len(runs) == 12
    for planned in runs:
        won = study.cell(planned.dataset, planned.backbone, planned.mode).config
        config = planned.config
        assert config.train.batch_size == won["batch_size"] and config.train.optimizer == won["optimizer"]
        assert config.head["dropout"] == won["dropout"]
        if planned.mode == "mtl":
            assert config.weighting_kwargs == {"gamma": won["gamma"]}


def test_a_stand_in_backbone_is_compared_with_the_studys_backbone_of_its_family():
    # modern_small's ResNet-18 rows stand beside the study's ResNet-152 (Figure 9, model 1)
    assert study.accuracy("cifar10", "resnet18", "stl_fine", "fine") == 0.664
    assert study.study_backbone("vit") == "vit" and study.study_backbone("cnn") is None
