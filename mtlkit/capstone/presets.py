"""The capstone's presets: the study's grid at three budgets, as data.

- ``quick``: the synthetic ``shapes`` data, a tiny CNN and a 2-block ViT with a convolutional stem,
  three seeds (the fewest that give paired intervals), 6 epochs on 2,000 images; under 3 minutes on 2
  CPU cores (2 min 42 s measured, docs/results.md).
- ``modern_small``: lesson 7's default on a GPU: CIFAR-stem ResNet-18 and ViT-Tiny/4 (6 blocks) with
  the ``strong`` recipe, epochs sized by FLOP count so that the 12 runs take about an hour on Colab's
  free T4 at 10% of its fp16 peak (``mtlkit bench --budget --preset modern_small --gpu T4 --minutes
  60``; not yet timed on a T4).
- ``seed``: the course's version of the 2023 study's setup (Keras ViT port ``vit_seed``, ResNet-152
  with the ImageNet stem, the study's heads: GELU on the ViT, ReLU on ResNet-152), Adam 1e-3, 20 epochs,
  no augmentation, static ``gamma`` weighting, and in each cell the configuration that won that cell's
  table in the study's report (batch size, head dropout, gamma; :data:`mtlkit.capstone.study.PUBLISHED`),
  with the study's flaws fixed: a softmax cross-entropy for every head, and the epoch chosen on
  validation, not the last one. The study chose those configurations on the test set; we take them as
  given and search nothing, so our test numbers are not selected on our test set.
- ``strong``: a modern recipe on the same grid: CIFAR-stem ResNet-152 and a ViT with 4x4 patches,
  random crop + flip, AdamW with linear warm-up and cosine decay, label smoothing 0.1 (Szegedy et al.
  2016), mixed precision and channels_last on CUDA, optional ``torch.compile``; sized for 30 minutes
  on an H100 by FLOP count, measured at about 47 minutes of training on an H200 (docs/results.md).

A preset maps each backbone *label* (what ``--backbones`` names) to the fields of
:class:`~mtlkit.experiment.RunConfig` it sets; ``common`` holds the fields every run shares.
:func:`one_backbone` makes the one-backbone grid around one run's config that ``mtlkit compare`` trains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mtlkit.capstone import study
from mtlkit.errors import unknown_name

if TYPE_CHECKING:
    from mtlkit.experiment import RunConfig


@dataclass(frozen=True)
class Preset:
    """One budget of the capstone grid."""

    name: str
    description: str
    datasets: tuple[str, ...]
    backbones: dict[str, dict[str, Any]]
    common: dict[str, Any]
    weighting: str = "equal"
    weighting_kwargs: dict[str, dict[str, Any]] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    tasks: tuple[str, ...] = ("fine", "coarse")  # one single-task mode per task (grid.modes)
    # (dataset, backbone label, mode) -> fields of that cell only, over ``common`` and ``backbones``; a
    # cell's "weighting_kwargs" ({weighting: kwargs}) override ``weighting_kwargs`` for its MTL runs.
    cells: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    def run_fields(self, backbone: str, dataset: str = "", mode: str = "") -> dict[str, Any]:
        """The RunConfig fields of a run on backbone label ``backbone`` (before mode and seed)."""
        if backbone not in self.backbones:
            raise unknown_name(f"backbone for preset {self.name!r}", backbone, self.backbones)
        cell = {
            k: v for k, v in self.cells.get((dataset, backbone, mode), {}).items() if k != "weighting_kwargs"
        }
        return {**self.common, **self.backbones[backbone], **cell}

    def weighting_options(self, weighting: str, dataset: str = "", backbone: str = "") -> dict[str, Any]:
        """The keyword arguments of ``weighting`` for the MTL runs of (dataset, backbone)."""
        cell = self.cells.get((dataset, backbone, "mtl"), {}).get("weighting_kwargs", {})
        return {**self.weighting_kwargs.get(weighting, {}), **cell.get(weighting, {})}


QUICK = Preset(
    name="quick",
    description="shapes + a tiny CNN and a 2-block conv-stem ViT, 3 seeds, under 3 minutes on 2 CPU cores",
    datasets=("shapes",),
    backbones={
        "cnn": {"backbone": "tiny_cnn", "backbone_kwargs": {"width": 16}},
        # 8x8 patches (16 tokens) keep the ViT cheap. With the plain patch projection it stays at chance
        # on shapes at this budget (the shape's outline, in a random colour on a random background, is
        # not linear in a patch's pixels); a convolutional stem (Xiao et al. 2021) lets it learn within
        # the budget (docs/results.md, "CPU: the quick preset").
        "vit": {
            "backbone": "vit_tiny",
            "backbone_kwargs": {
                "embed_dim": 64,
                "depth": 2,
                "num_heads": 2,
                "patch_size": 8,
                "drop_path_rate": 0.0,
                "conv_stem": True,
            },
            "lr": 2e-3,
            "weight_decay": 0.05,
            "warmup_epochs": 1.0,
        },
    },
    common={
        "epochs": 6,
        "batch_size": 64,
        "optimizer": "adamw",
        "lr": 3e-3,
        "weight_decay": 5e-4,
        "schedule": "cosine",
        "augment": True,
        "limit": 2000,
    },
    seeds=(0, 1, 2),  # three seeds: the fewest that give the paired intervals a meaning
)


def _seed_cells() -> dict[tuple[str, str, str], dict[str, Any]]:
    """Each cell of the study with the configuration that won its table (:data:`study.PUBLISHED`):
    batch size, head dropout and, for MTL, gamma. Every winner used Adam."""
    cells = {}
    for (dataset, backbone, mode), published in study.PUBLISHED.items():
        won = published.config
        # The ViT notebooks' heads use GELU (SeedHead's default), the ResNet notebooks' heads ReLU.
        head = {"type": "seed", "dropout": won["dropout"]}
        if backbone == "resnet152":
            head["activation"] = "relu"
        fields: dict[str, Any] = {"batch_size": won["batch_size"], "head": head}
        if mode == "mtl":
            fields["weighting_kwargs"] = {"static": {"gamma": won["gamma"]}}
        cells[(dataset, backbone, mode)] = fields
    return cells


SEED = Preset(
    name="seed",
    description="the 2023 study's setup with each cell's winning configuration (Adam 1e-3, 20 epochs, "
    "no augmentation), flaws fixed",
    datasets=("cifar10", "cifar100"),
    backbones={
        "vit": {"backbone": "vit_seed"},
        "resnet152": {"backbone": "resnet152", "backbone_kwargs": {"stem": "imagenet"}},
    },
    common={
        "epochs": 20,
        "optimizer": "adam",
        "lr": 1e-3,
        "weight_decay": 0.0,
        "schedule": "constant",
        "augment": False,
        "label_smoothing": 0.0,
    },
    weighting="static",
    weighting_kwargs={"static": {"gamma": 0.5}},
    cells=_seed_cells(),
)

# Epoch counts here were chosen to fit a 30-minute H100 budget from FLOP counts: `mtlkit bench --budget
# --preset strong --gpu H100` prints that calculation (about 304 PFLOP for the 12 runs, 17% MFU needed).
# Measured on an H200 (docs/results.md): 2.7 s/epoch (ViT) and 11.3 s/epoch (ResNet-152), 14% and 9% MFU,
# so the grid takes about 47 minutes of training there, not 30.
STRONG = Preset(
    name="strong",
    description="CIFAR-stem ResNet-152 and ViT-Small/4, augmentation, AdamW + warm-up + cosine, mixed precision",
    datasets=("cifar10", "cifar100"),
    backbones={
        "vit": {
            "backbone": "vit_small",
            "backbone_kwargs": {"patch_size": 4, "drop_path_rate": 0.1},
            "epochs": 50,
            "batch_size": 512,
            "lr": 1e-3,
            "warmup_epochs": 5.0,
        },
        "resnet152": {
            "backbone": "resnet152",
            "backbone_kwargs": {"stem": "cifar"},
            "epochs": 30,
            "batch_size": 256,
            "lr": 2e-3,
            "warmup_epochs": 2.0,
        },
    },
    common={
        "optimizer": "adamw",
        "weight_decay": 0.05,
        "schedule": "cosine",
        "label_smoothing": 0.1,
        "augment": True,
        "amp": "auto",
        "channels_last": "auto",
    },
)

# Sized for Colab's free T4 by FLOP counts, not timed on one: `mtlkit bench --budget --preset
# modern_small --gpu T4 --minutes 60` prints the calculation and the utilisation it needs (docs/results.md).
MODERN_SMALL = Preset(
    name="modern_small",
    description="CIFAR-stem ResNet-18 and ViT-Tiny/4 with the strong recipe (fp16 on a T4): about 1 hour there",
    datasets=("cifar10", "cifar100"),
    backbones={
        "vit": {
            "backbone": "vit_tiny",
            "backbone_kwargs": {"patch_size": 4, "depth": 6, "drop_path_rate": 0.05},
            "epochs": 25,
            "batch_size": 256,
            "lr": 1e-3,
            "warmup_epochs": 3.0,
        },
        "resnet18": {
            "backbone": "resnet18",
            "backbone_kwargs": {"stem": "cifar"},
            "epochs": 12,
            "batch_size": 256,
            "lr": 2e-3,
            "warmup_epochs": 1.0,
        },
    },
    common=dict(STRONG.common),
)


def one_backbone(config: RunConfig, name: str = "compare") -> Preset:
    """The grid around one run's ``config``: its dataset, backbone and seed; a single-task run on each
    of its tasks and a hard-sharing run with its weighting on all of them; every other field (data,
    model options, recipe, device) as in ``config``. What ``mtlkit compare`` trains."""
    mode_chosen = ("dataset", "tasks", "arch", "arch_kwargs", "weighting", "weighting_kwargs")
    return Preset(
        name=name,
        description=f"{config.dataset} + {config.backbone}: single-task on each task vs multi-task",
        datasets=(config.dataset,),
        backbones={config.backbone: {}},
        common={k: v for k, v in config.to_dict().items() if k not in mode_chosen},
        weighting=config.weighting,
        weighting_kwargs={config.weighting: dict(config.weighting_kwargs)},
        seeds=(config.seed,),
        tasks=config.tasks,
    )


PRESETS: dict[str, Preset] = {p.name: p for p in (QUICK, MODERN_SMALL, SEED, STRONG)}


def get(name: str) -> Preset:
    """The preset called ``name`` (one of :data:`PRESETS`)."""
    if name not in PRESETS:
        raise unknown_name("preset", name, PRESETS)
    return PRESETS[name]
