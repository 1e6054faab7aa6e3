"""summary.md's study columns and its answers to the study's RQ1-RQ3, on hand-written runs."""

from mtlkit.capstone import study
from mtlkit.capstone.results import collect
from mtlkit.capstone.summary import summary_markdown
from mtlkit.capstone.verdicts import NO_EVIDENCE, NO_SEEDS, backbone_comparison, rq1, rq2, rq3


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
    # fine: +20 points on both seeds (a zero-width interval)
    assert (
        "- shapes / MTL (equal) / fine: vit - cnn = +20.00 points, 95% interval [+20.00, +20.00] (vit better)."
        in text
    )
    # coarse: paired differences +0.01 and -0.03: mean -1, interval -1 +/- 12.706 * 0.0283 / sqrt(2)
    assert (
        f"- shapes / MTL (equal) / coarse: vit - cnn = -1.00 points, 95% interval [-26.41, +24.41] ({NO_EVIDENCE})."
        in text
    )
    assert "STL" not in text  # single-task runs belong to RQ3
    assert f"Over all 2 comparisons: vit better: 1, {NO_EVIDENCE}: 1." in text


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
    # the study (class_report.txt, Figures 3, 4, 9, 10): ViT 65.9 - ResNet-152 66.4 fine, 93.3 - 94.2 coarse
    assert (
        "fine: vit - resnet152 = -20.00 points, 95% interval [-20.00, -20.00] (resnet152 better; study -0.50)."
        in text
    )
    assert (
        f"coarse: vit - resnet152 = +0.00 points, 95% interval [+0.00, +0.00] ({NO_EVIDENCE}; study -0.90)."
        in text
    )
    assert "MTL" not in text


def test_backbone_comparisons_with_one_seed_cannot_be_assessed(fake_run, tmp_path):
    backbone_grid(fake_run, {("cnn", "mtl"): ((0.4,), (0.7,)), ("vit", "mtl"): ((0.6,), (0.9,))}, seeds=(0,))
    found = backbone_comparison(rows_of(tmp_path), {"mtl"})
    assert [(f["a"], f["b"], f["task"]) for f in found] == [("vit", "cnn", "fine"), ("vit", "cnn", "coarse")]
    assert all(f["comparison"].interval is None for f in found)
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
    # cnn, per seed: fine +10 points, coarse equal: delta_m (0.1 / 0.40) / 2 = 12.50% and (0.1 / 0.42) / 2
    assert (
        "- shapes / cnn / MTL (equal): fine vs STL fine +10.00 points, 95% interval [+10.00, +10.00] (MTL better)"
        in text
    )
    assert f"coarse vs STL coarse +0.00 points, 95% interval [+0.00, +0.00] ({NO_EVIDENCE})" in text
    assert "delta_m = +12.20%, 95% interval [+8.42%, +15.98%] (MTL better)" in text
    # vit: fine -10 points on both seeds; delta_m (-0.1 / 0.30) / 2 = -16.67% and (-0.1 / 0.31) / 2 = -16.13%
    assert (
        "- shapes / vit / MTL (equal): fine vs STL fine -10.00 points, 95% interval [-10.00, -10.00] (STL better)"
        in text
    )
    assert "delta_m = -16.40%, 95% interval [-19.81%, -12.98%] (STL better)" in text
    # fake runs: parameters 1000 / (900 + 900) = 56%; seconds per epoch 3 / (2 + 2) = 75%
    assert text.count("the MTL model has 56% of the two STL models' parameters and takes 75%") == 2
    assert f"Over all 4 comparisons: MTL better: 1, {NO_EVIDENCE}: 2, STL better: 1." in text


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
    # class_report.txt: MTL ViT 33.5 / 49.1 (Figure 8), MTL ResNet-152 27.1 / 47.6 (Figure 14), STL ViT 30.2 (5)
    same = f"+0.00 points, 95% interval [+0.00, +0.00] ({NO_EVIDENCE}"
    assert f"fine: vit - resnet152 = {same}; study +6.40)." in rq1(rows)
    assert f"coarse: vit - resnet152 = {same}; study +1.50)." in rq1(rows)
    assert f"fine vs STL fine {same}; study +3.30)" in rq2(rows)


def test_study_columns_print_the_published_value_and_our_difference(fake_run, tmp_path):
    for mode, acc in (("stl_fine", {"fine": 0.30}), ("mtl", {"fine": 0.30, "coarse": 0.50})):
        weighting = "static" if mode == "mtl" else "none"
        fake_run(dataset="cifar100", backbone="resnet152", mode=mode, weighting=weighting, **acc)
    text = summary_markdown(rows_of(tmp_path), "seed", [])
    # class_report.txt, Figure 14, model 1: fine 27.1 -> ours 30.00 is +2.90; coarse 47.6 -> +2.40;
    # Figure 11, model 1: STL fine 30.4
    table = {
        c[2].strip(): c[1:-1]
        for line in text.splitlines()
        if line.startswith("| resnet152")
        for c in [line.split("|")]
    }
    mtl = [c.strip() for c in table["MTL (static)"]]
    assert mtl[3:9] == ["30.00", "50.00", "27.10", "+2.90", "47.60", "+2.40"]
    stl = [c.strip() for c in table["STL fine"]]
    assert stl[3:7] == ["30.00", "-", "30.40", "-0.40"]
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
    # on CIFAR-10 (class_report.txt, Figures 3, 7, 9 and 13)
    assert speed_column(text, "resnet152") == {"STL fine": "23.0×", "MTL (static)": "15.3×"}
    assert speed_column(text, "vit") == {"STL fine": "31.5×", "MTL (static)": "21.0×"}
    assert speed_column(text, "cnn") == {"MTL (static)": "n/a"}  # not a backbone the study timed
    assert "seconds per epoch (vit 63 s, resnet152 46-52 s" in text


def test_speedup_uses_the_mean_over_seeds(fake_run, tmp_path):
    from mtlkit.capstone.timing import speedup

    runs = [{"seed": 0, "s_per_epoch": 2.0}, {"seed": 1, "s_per_epoch": 4.0}]
    assert speedup(("cifar100", "resnet152", "stl_coarse"), runs) == f"{52 / 3:.1f}×"  # Figure 12
    assert speedup(("cifar10", "resnet152", "mtl"), []) == "n/a"


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
