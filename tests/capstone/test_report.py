"""runs.csv, summary.md and figures, rebuilt from hand-written run folders (no training)."""

import csv

from mtlkit.capstone.results import CSV_COLUMNS, collect
from mtlkit.capstone.runner import write_report
from mtlkit.capstone.summary import summary_markdown
from mtlkit.capstone.verdicts import NO_EVIDENCE, NO_SEEDS


def grid(fake_run, seeds, fine_stl, fine_mtl, coarse_stl=(0.5,), coarse_mtl=(0.5,)):
    for i, seed in enumerate(seeds):
        fake_run(mode="stl_fine", weighting="none", seed=seed, fine=fine_stl[i], coarse_from_fine=0.6)
        fake_run(mode="stl_coarse", weighting="none", seed=seed, coarse=coarse_stl[i % len(coarse_stl)])
        fake_run(
            mode="mtl",
            seed=seed,
            fine=fine_mtl[i],
            coarse=coarse_mtl[i % len(coarse_mtl)],
            coarse_from_fine=0.6,
        )


def test_rows_are_ordered_and_unfinished_runs_listed(fake_run, tmp_path):
    grid(fake_run, [0], [0.4], [0.5])
    (tmp_path / "runs" / "shapes-vit-mtl-equal-s0").mkdir()
    (tmp_path / "runs" / "shapes-vit-mtl-equal-s0" / "run.json").write_text("{}")
    rows, pending = collect(tmp_path)
    assert [r["mode"] for r in rows] == ["stl_fine", "stl_coarse", "mtl"]
    assert pending == ["shapes-vit-mtl-equal-s0"]
    assert rows[0]["fine"] == 0.4 and rows[0]["coarse"] is None and rows[2]["parameters"] == 1000


def test_report_files_are_written_with_one_csv_line_per_run(fake_run, tmp_path):
    grid(fake_run, [0, 1], [0.40, 0.42], [0.50, 0.52])
    report = write_report(tmp_path, "quick")
    with open(report["runs_csv"]) as f:
        lines = list(csv.DictReader(f))
    assert len(lines) == 6 and list(lines[0]) == list(CSV_COLUMNS)
    assert {p.name for p in report["figures"]} == {
        "stl_vs_mtl.png",
        "learning_curves.png",
        "task_weights.png",
    }
    assert all(p.stat().st_size > 1000 for p in report["figures"])
    assert "# mtlkit capstone: preset `quick`" in report["summary_md"].read_text()


def test_runs_csv_has_the_median_epoch_time_after_the_first(fake_run, tmp_path):
    fake_run(mode="mtl", fine=0.5, coarse=0.5, median=1.25)
    fake_run(mode="stl_fine", weighting="none", fine=0.5)  # an older result without it
    report = write_report(tmp_path, "quick")
    with open(report["runs_csv"]) as f:
        lines = {r["mode"]: r for r in csv.DictReader(f)}
    assert lines["mtl"]["median_s_per_epoch_after_first"] == "1.25" and lines["mtl"]["s_per_epoch"] == "3.0"
    assert lines["stl_fine"]["median_s_per_epoch_after_first"] == ""


def test_a_clear_paired_gap_names_a_winner_with_its_interval_and_delta_m(fake_run, tmp_path):
    grid(fake_run, [0, 1, 2], [0.40, 0.41, 0.42], [0.50, 0.51, 0.52])
    text = summary_markdown(*collect(tmp_path)[:1], "quick", [])
    # fine: +10 points on every seed (a zero-width interval); coarse equal on every seed
    assert "fine vs STL fine +10.00 points, 95% interval [+10.00, +10.00] (MTL better)" in text
    assert f"coarse vs STL coarse +0.00 points, 95% interval [+0.00, +0.00] ({NO_EVIDENCE})" in text
    # the coarse head (0.5) against the STL fine model's coarse-from-fine (0.6)
    assert (
        "coarse vs coarse from STL fine -10.00 points, 95% interval [-10.00, -10.00] (coarse-from-fine better)"
        in text
    )
    # delta_m per seed: (0.1 / 0.40 + 0) / 2 = 12.50%, 12.20%, 11.90%: mean 12.20%, t_{0.975,2} * sd / sqrt(3)
    assert "delta_m = +12.20%, 95% interval [+11.46%, +12.94%] (MTL better)" in text
    assert "| 41.00 ± 1.00" in text  # STL fine mean +/- sd in percent
    assert "This summary prints 4 intervals" in text  # fine, coarse, coarse-from-fine, delta_m


def test_pairing_by_seed_sees_a_gap_that_seed_noise_hides_from_the_group_means(fake_run, tmp_path):
    # seeds differ by 5-8 points, yet MTL beats STL by 1-1.5 points on every seed
    grid(fake_run, [0, 1, 2], [0.40, 0.48, 0.45], [0.41, 0.495, 0.46])
    text = summary_markdown(collect(tmp_path)[0], "quick", [])
    assert "fine vs STL fine +1.17 points, 95% interval [+0.45, +1.88] (MTL better)" in text


def test_a_gap_within_seed_noise_is_no_evidence_of_a_difference(fake_run, tmp_path):
    grid(
        fake_run,
        [0, 1, 2],
        [0.40, 0.46, 0.43],
        [0.44, 0.41, 0.47],
        coarse_stl=(0.5, 0.6, 0.55),
        coarse_mtl=(0.52, 0.58, 0.6),
    )
    text = summary_markdown(collect(tmp_path)[0], "quick", [])
    assert "MTL better" not in text and "STL better" not in text
    assert text.count(NO_EVIDENCE) >= 2
    assert "significant" not in text


def test_one_seed_says_its_verdicts_cannot_be_assessed(fake_run, tmp_path):
    grid(fake_run, [0], [0.4], [0.5])
    text = summary_markdown(collect(tmp_path)[0], "quick", [])
    assert NO_SEEDS in text and "none of these verdicts can be assessed" in text
    assert "MTL better" not in text and "interval [" not in text


def test_an_empty_folder_gives_a_summary_without_figures(tmp_path):
    report = write_report(tmp_path, "quick")
    assert report["figures"] == [] and "0 finished runs" in report["summary_md"].read_text()
