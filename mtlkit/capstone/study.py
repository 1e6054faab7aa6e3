"""The original 2023 study's published results, the reference column of ``summary.md``.

Source: M. T. Nguyen & P. Chen, "Multi-task Learning with Vision Transformers" (ECE 6524 final project,
2023), https://github.com/mnguyen0226/multitask_learning_vit — the result tables are in
``docs/results_tables_report.pdf`` and as screenshots in ``docs/*.PNG`` of that repository.

TODO: fill from the paper. The accuracies are published only inside a PDF and images, which could not
be read when this file was written, so every value is ``None`` and ``summary.md`` prints "n/a" for it.
Copy them from ``results_tables_report.pdf`` as fractions in [0, 1] (test accuracy after 20 epochs, as
the study reported it). Do not fill in values from memory or estimates.

The study's epoch times (about 63 s per epoch for its ViT and 46 s for ResNet-152) come from the issue
that specified the capstone; the speed-up column of ``docs/results.md`` divides by them.
"""

from __future__ import annotations

# (dataset, backbone label, mode) -> {task: test accuracy}; None = not yet copied from the paper.
ACCURACY: dict[tuple[str, str, str], dict[str, float | None]] = {
    (dataset, backbone, mode): {task: None for task in tasks}
    for dataset in ("cifar10", "cifar100")
    for backbone in ("vit", "resnet152")
    for mode, tasks in (("stl_fine", ("fine",)), ("stl_coarse", ("coarse",)), ("mtl", ("fine", "coarse")))
}

SECONDS_PER_EPOCH: dict[str, float] = {"vit": 63.0, "resnet152": 46.0}

SOURCE = "Nguyen & Chen 2023, github.com/mnguyen0226/multitask_learning_vit (docs/results_tables_report.pdf)"


def accuracy(dataset: str, backbone: str, mode: str, task: str) -> float | None:
    """The study's test accuracy for one cell, or None when unknown (or not part of the study)."""
    return ACCURACY.get((dataset, backbone, mode), {}).get(task)
