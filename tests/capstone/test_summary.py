"""summary.md's study columns and its answers to the study's RQ1-RQ3, on hand-written runs."""

from mtlkit.capstone import study
from mtlkit.capstone.results import collect
from mtlkit.capstone.summary import NO_SEEDS, backbone_comparison, rq1, rq2, rq3, summary_markdown


def rows_of(tmp_path):
    return collect(tmp_path)[0]


def backbone_grid(fake_run, accuracies, seeds=(0, 1), dataset="shapes"):
    """accuracies: {(backbone, mode): (per-seed fine, per-seed coarse)}; None skips a task."""
    for (backbone, mode), (fine, coarse) in accuracies.items():
        weighting = "equal" if mode == "mtl" else "none"
        for i, seed in enumerate(seeds):
            acc = {k: v[i] for k, v in (("fine", fine), ("coarse", coarse)) if v is not None}
            fake_run(dataset=dataset, backbone=backbone, mode=mode, weighting=weighting, seed=seed, **acc)


def test_the_real_research_questions_are_quoted_with_their_source(tmp_path):
    text = summary_markdown([], "seed", [])
    assert study.RESEARCH_QUESTIONS["RQ1"] == (
        "Is an MTL ViT model superior in performance to an MTL Convolution-based model (ResNet-152)?"
    )
    assert study.RESEARCH_QUESTIONS["RQ2"] == (
        "Can an MTL ViT model achieve better results than two separate STL ViT models?"
    )
    assert study.RESEARCH_QUESTIONS["RQ3"] == (
        "Does an STL ViT model outperform an STL Convolution-based model (ResNet152) in terms of accuracy?"
    )
    for name, q in study.RESEARCH_QUESTIONS.items():
        assert f'**{name}.** "{q}"' in text
    assert "1f82955ff4efe772bdb0752faafdaed65a49cd81" in text


def test_study_values_are_fractions_of_the_twelve_cells():
    assert len(study.ACCURACY) == 12
    known = [a for cell in study.ACCURACY.values() for a in cell.values() if a is not None]
    assert len(known) == 13 and all(0.0 < a < 1.0 for a in known)
    assert study.accuracy("cifar10", "resnet152", "mtl", "coarse") == 0.9376999735832214
    assert study.accuracy("cifar100", "resnet152", "stl_fine", "fine") is None
    assert study.accuracy("shapes", "cnn", "mtl", "fine") is None


def test_rq1_compares_the_mtl_models_of_the_two_backbones_vit_first(fake_run, tmp_path):
    backbone_grid(
        fake_run,
        {
            ("cnn", "mtl"): ((0.40, 0.42), (0.70, 0.72)),
            ("vit", "mtl"): ((0.60, 0.62), (0.71, 0.69)),
            ("cnn", "stl_fine"): ((0.10, 0.11), None),
            ("vit", "stl_fine"): ((0.90, 0.91), None),
        },
    )
    text = rq1(rows_of(tmp_path))
    # fine: means 0.61 vs 0.41, sds 0.0141 each: t = 0.2 / 0.0141 = 14.1 on 2 df, significant
    assert "- shapes / MTL (equal) / fine: vit - cnn = +20.00 points (vit better)." in text
    # coarse: means 0.70 vs 0.71, t = -0.01 / 0.0141 = -0.71: within noise
    assert "- shapes / MTL (equal) / coarse: vit - cnn = -1.00 points (no significant difference)." in text
    assert "STL" not in text  # single-task runs belong to RQ3
    assert "Over all 2 comparisons: vit better: 1, no significant difference: 1." in text


def test_rq3_compares_the_stl_models_of_the_two_backbones(fake_run, tmp_path):
    backbone_grid(
        fake_run,
        {
            ("resnet152", "stl_fine"): ((0.60, 0.61), None),
            ("vit", "stl_fine"): ((0.40, 0.41), None),
            ("resnet152", "stl_coarse"): (None, (0.80, 0.82)),
            ("vit", "stl_coarse"): (None, (0.80, 0.82)),
            ("vit", "mtl"): ((0.5, 0.5), (0.5, 0.5)),
        },
        dataset="cifar10",
    )
    text = rq3(rows_of(tmp_path))
    # the study: ViT 26.79 - ResNet-152 63.20 on fine; its ResNet-152 STL coarse was not found
    assert (
        "- cifar10 / STL fine / fine: vit - resnet152 = -20.00 points (resnet152 better; study -36.41)."
        in text
    )
    assert (
        "- cifar10 / STL coarse / coarse: vit - resnet152 = +0.00 points (no significant difference)." in text
    )
    assert "MTL" not in text


def test_backbone_comparisons_with_one_seed_cannot_be_assessed(fake_run, tmp_path):
    backbone_grid(fake_run, {("cnn", "mtl"): ((0.4,), (0.7,)), ("vit", "mtl"): ((0.6,), (0.9,))}, seeds=(0,))
    found = backbone_comparison(rows_of(tmp_path), {"mtl"})
    assert [(f["a"], f["b"], f["task"]) for f in found] == [("vit", "cnn", "fine"), ("vit", "cnn", "coarse")]
    assert all(f["comparison"].significant is None for f in found)
    assert f"+20.00 points ({NO_SEEDS})" in rq1(rows_of(tmp_path))


def test_a_single_backbone_cannot_answer_rq1_or_rq3(fake_run, tmp_path):
    backbone_grid(fake_run, {("vit", "mtl"): ((0.6, 0.6), (0.9, 0.9))})
    assert rq1(rows_of(tmp_path)).startswith("Needs finished multi-task runs of two backbones")
    assert rq3(rows_of(tmp_path)).startswith("Needs finished single-task runs of two backbones")


def test_rq2_compares_mtl_with_the_two_stl_models_of_every_backbone_with_cost(fake_run, tmp_path):
    backbone_grid(
        fake_run,
        {
            ("cnn", "stl_fine"): ((0.40, 0.42), None),
            ("cnn", "stl_coarse"): (None, (0.70, 0.72)),
            ("cnn", "mtl"): ((0.50, 0.52), (0.70, 0.72)),
            ("vit", "stl_fine"): ((0.30, 0.31), None),
            ("vit", "stl_coarse"): (None, (0.60, 0.62)),
            ("vit", "mtl"): ((0.20, 0.21), (0.60, 0.62)),
        },
    )
    text = rq2(rows_of(tmp_path))
    # cnn: fine 0.51 vs 0.41 (+24.39%), coarse equal: delta_m = 12.20%; vit: fine 0.205 vs 0.305 (-32.79%)
    assert "- shapes / cnn / MTL (equal) vs STL: fine +10.00 points (MTL better)" in text
    assert "coarse +0.00 points (no significant difference); delta_m = +12.20%." in text
    assert "- shapes / vit / MTL (equal) vs STL: fine -10.00 points (STL better)" in text
    assert "delta_m = -16.39%." in text
    # fake runs: parameters 1000 / (900 + 900) = 56%; seconds per epoch 3 / (2 + 2) = 75%
    assert text.count("the MTL model has 56% of the two STL models' parameters and takes 75%") == 2
    assert "Over all 4 comparisons: MTL better: 1, no significant difference: 2, STL better: 1." in text


def test_rq1_and_rq2_quote_the_studys_own_difference_where_it_printed_both(fake_run, tmp_path):
    backbone_grid(
        fake_run,
        {
            ("vit", "mtl"): ((0.30, 0.32), (0.50, 0.52)),
            ("resnet152", "mtl"): ((0.30, 0.32), (0.50, 0.52)),
            ("vit", "stl_fine"): ((0.30, 0.32), None),
        },
        dataset="cifar100",
    )
    rows = rows_of(tmp_path)
    # study MTL: ViT fine 18.07, coarse 23.10; ResNet-152 fine 27.06, coarse 47.58; ViT STL fine 1.16
    assert "fine: vit - resnet152 = +0.00 points (no significant difference; study -8.99)." in rq1(rows)
    assert "coarse: vit - resnet152 = +0.00 points (no significant difference; study -24.48)." in rq1(rows)
    assert "fine +0.00 points (no significant difference; study +16.91)" in rq2(rows)


def test_study_columns_print_the_published_value_and_our_difference(fake_run, tmp_path):
    for mode, acc in (("stl_fine", {"fine": 0.30}), ("mtl", {"fine": 0.30, "coarse": 0.50})):
        weighting = "static" if mode == "mtl" else "none"
        fake_run(dataset="cifar100", backbone="resnet152", mode=mode, weighting=weighting, **acc)
    text = summary_markdown(rows_of(tmp_path), "seed", [])
    # MTL Case 1: fine 27.06 -> ours 30.00 is +2.94; coarse 47.58 -> +2.42; STL fine not found: n/a
    table = {
        c[2].strip(): c[1:-1]
        for line in text.splitlines()
        if line.startswith("| resnet152")
        for c in [line.split("|")]
    }
    mtl = [c.strip() for c in table["MTL (static)"]]
    assert mtl[3:9] == ["30.00", "50.00", "27.06", "+2.94", "47.58", "+2.42"]
    stl = [c.strip() for c in table["STL fine"]]
    assert stl[3:7] == ["30.00", "-", "n/a", "n/a"]  # the study's STL fine value was not found
    assert text.count(study.CAVEAT) == 1


def test_no_study_columns_for_a_dataset_the_study_did_not_use(fake_run, tmp_path):
    backbone_grid(fake_run, {("vit", "mtl"): ((0.6, 0.6), (0.9, 0.9))})
    text = summary_markdown(rows_of(tmp_path), "quick", [])
    assert "(study)" not in text and study.CAVEAT not in text


def speed_column(text, backbone):
    """{approach: the '× study speed' cell} of the rows of ``backbone`` in summary.md."""
    lines = [line.split("|") for line in text.splitlines() if line.startswith("| ")]
    header = [c.strip() for c in lines[0]]
    at = header.index("× study speed")
    return {c[2].strip(): c[at].strip() for c in lines if c[1].strip() == backbone}


def test_speedup_over_the_study_divides_its_epoch_time_by_ours(fake_run, tmp_path):
    for backbone in ("resnet152", "vit"):
        fake_run(dataset="cifar10", backbone=backbone, mode="stl_fine", weighting="none", fine=0.5)
        fake_run(dataset="cifar10", backbone=backbone, mode="mtl", weighting="static", fine=0.5, coarse=0.9)
    fake_run(dataset="cifar10", backbone="cnn", mode="mtl", weighting="static", fine=0.5, coarse=0.9)
    text = summary_markdown(rows_of(tmp_path), "seed", [])
    # fake runs take 2 s (STL) and 3 s (MTL) per epoch; the study took 46 s (ResNet-152) and 63 s (ViT)
    assert speed_column(text, "resnet152") == {"STL fine": "23.0×", "MTL (static)": "15.3×"}
    assert speed_column(text, "vit") == {"STL fine": "31.5×", "MTL (static)": "21.0×"}
    assert speed_column(text, "cnn") == {"MTL (static)": "n/a"}  # not a backbone the study timed
    assert "seconds per epoch (vit 63 s, resnet152 46 s" in text


def test_speedup_uses_the_mean_over_seeds(fake_run, tmp_path):
    from mtlkit.capstone.summary import speedup

    runs = [{"seed": 0, "s_per_epoch": 2.0}, {"seed": 1, "s_per_epoch": 4.0}]
    assert speedup("resnet152", runs) == f"{46 / 3:.1f}×"
    assert speedup("resnet152", []) == "n/a"


def test_no_speed_column_for_a_dataset_the_study_did_not_use(fake_run, tmp_path):
    backbone_grid(fake_run, {("vit", "mtl"): ((0.6, 0.6), (0.9, 0.9))})
    assert "study speed" not in summary_markdown(rows_of(tmp_path), "quick", [])


def timed_cifar_grid(fake_run, medians):
    """ResNet-152 STL fine, STL coarse and MTL on cifar10 (mean s/epoch: 2, 2, 3); ``medians`` by mode."""
    for mode, acc in (
        ("stl_fine", {"fine": 0.5}),
        ("stl_coarse", {"coarse": 0.9}),
        ("mtl", {"fine": 0.5, "coarse": 0.9}),
    ):
        weighting = "static" if mode == "mtl" else "none"
        fake_run(
            dataset="cifar10",
            backbone="resnet152",
            mode=mode,
            weighting=weighting,
            median=medians.get(mode),
            **acc,
        )


def test_speed_and_time_ratio_use_the_median_after_the_first_epoch_when_every_run_has_it(fake_run, tmp_path):
    timed_cifar_grid(fake_run, {"stl_fine": 1.0, "stl_coarse": 1.0, "mtl": 1.5})
    rows = rows_of(tmp_path)
    text = summary_markdown(rows, "seed", [])
    # the study's 46 s over our medians 1.0 (STL) and 1.5 (MTL); not over the means 2 and 3
    assert speed_column(text, "resnet152") == {
        "STL fine": "46.0×",
        "STL coarse": "46.0×",
        "MTL (static)": "30.7×",
    }
    assert (
        "median s/epoch after 1st" in text
        and "use each run's median seconds per epoch after the first" in text
    )
    # 1.5 / (1.0 + 1.0) = 75% (the means give 3 / 4 = 75% too): the note says which one
    assert "takes 75% of their training time per epoch (median after the first epoch)." in rq2(rows)


def test_the_time_ratio_follows_the_medians_not_the_means(fake_run, tmp_path):
    timed_cifar_grid(fake_run, {"stl_fine": 1.0, "stl_coarse": 3.0, "mtl": 2.0})
    assert "takes 50% of their training time per epoch (median after the first epoch)." in rq2(
        rows_of(tmp_path)
    )


def test_a_run_without_the_median_makes_every_speed_use_the_mean(fake_run, tmp_path):
    timed_cifar_grid(fake_run, {"stl_fine": 1.0, "mtl": 1.5})  # STL coarse: one epoch, or an older result
    rows = rows_of(tmp_path)
    text = summary_markdown(rows, "seed", [])
    assert speed_column(text, "resnet152") == {
        "STL fine": "23.0×",
        "STL coarse": "23.0×",
        "MTL (static)": "15.3×",
    }
    assert "median s/epoch after 1st" not in text and "use the mean seconds per epoch over all epochs" in text
    assert "takes 75% of their training time per epoch (mean over all epochs)." in rq2(rows)
