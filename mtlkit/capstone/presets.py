"""The capstone's presets: the study's grid at three budgets, as data.

- ``quick``: the synthetic ``shapes`` data and two small backbones; minutes on a laptop CPU.
- ``seed``: the course's version of the 2023 study's setup (Keras ViT port ``vit_seed``, ResNet-152
  with the ImageNet stem, the study's heads (GELU + dropout 0.2 on the ViT, as its ViT notebooks; ReLU
  without dropout on ResNet-152, as its ResNet notebooks), Adam 1e-3, batch 256 for ViT / 128 for ResNet, 20 epochs,
  no augmentation, ``gamma = 0.5``) with its flaws fixed: a softmax cross-entropy for every head and the
  epoch chosen on validation, not the last one. Where the study's own notebooks differ (its ViT runs
  used Keras' plain ``'sgd'`` at 0.01, and batch 128 for multi-task; see ``mtlkit.capstone.study``),
  Adam is kept: those SGD runs partly failed to train. Its ResNet runs match ("Model 2", "Case 1").
- ``strong``: a modern recipe on the same grid: CIFAR-stem ResNet-152 and a ViT with 4x4 patches,
  random crop + flip, AdamW with linear warm-up and cosine decay, label smoothing 0.1 (Szegedy et al.
  2016), bf16 autocast and channels_last on CUDA, optional ``torch.compile``.

A preset maps each backbone *label* (what ``--backbones`` names) to the fields of
:class:`~mtlkit.experiment.RunConfig` it sets; ``common`` holds the fields every run shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mtlkit.errors import unknown_name


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

    def run_fields(self, backbone: str) -> dict[str, Any]:
        """The RunConfig fields of a run on backbone label ``backbone`` (before mode and seed)."""
        if backbone not in self.backbones:
            raise unknown_name(f"backbone for preset {self.name!r}", backbone, self.backbones)
        return {**self.common, **self.backbones[backbone]}


QUICK = Preset(
    name="quick",
    description="shapes + a tiny CNN and a 2-block ViT, about 2 minutes on 2 CPU cores",
    datasets=("shapes",),
    backbones={
        "cnn": {"backbone": "tiny_cnn", "backbone_kwargs": {"width": 16}},
        # 8x8 patches (16 tokens) keep the ViT cheap. On shapes it stays at chance at this budget while
        # the CNN learns both tasks, yet the same tiny ViT does learn CIFAR-10 at a similar budget
        # (docs/results.md, "CPU: the quick preset"): it is the synthetic shapes' geometry, not a broken
        # model, that it fails on at this budget.
        "vit": {
            "backbone": "vit_tiny",
            "backbone_kwargs": {
                "embed_dim": 64,
                "depth": 2,
                "num_heads": 2,
                "patch_size": 8,
                "drop_path_rate": 0.0,
            },
            "lr": 1e-3,
            "weight_decay": 0.05,
            "warmup_epochs": 1.0,
        },
    },
    common={
        "epochs": 8,
        "batch_size": 64,
        "optimizer": "adamw",
        "lr": 3e-3,
        "weight_decay": 5e-4,
        "schedule": "cosine",
        "augment": True,
        "limit": 5000,
    },
)

SEED = Preset(
    name="seed",
    description="the 2023 study's setup as the course defines it (Adam 1e-3, 20 epochs, no augmentation, gamma 0.5), flaws fixed",
    datasets=("cifar10", "cifar100"),
    backbones={
        "vit": {"backbone": "vit_seed", "batch_size": 256},
        # The ResNet notebooks' heads: the same widths with ReLU, and dropout 0 in "Model 2" / "Case 1".
        "resnet152": {
            "backbone": "resnet152",
            "backbone_kwargs": {"stem": "imagenet"},
            "batch_size": 128,
            "head": {"type": "seed", "activation": "relu", "dropout": 0.0},
        },
    },
    common={
        "head": "seed",  # the ViT notebooks' heads: GELU, dropout 0.2 (SeedHead's defaults)
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
)

# Epoch counts here were chosen to fit a 30-minute H100 budget from FLOP counts: `mtlkit bench --budget
# --preset strong --gpu H100` prints that calculation (about 304 PFLOP for the 12 runs, 17% MFU needed;
# docs/results.md). They have not been checked on a GPU (see docs/results.md for the command that does).
STRONG = Preset(
    name="strong",
    description="CIFAR-stem ResNet-152 and ViT/4, augmentation, AdamW + warm-up + cosine, bf16",
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

PRESETS: dict[str, Preset] = {p.name: p for p in (QUICK, SEED, STRONG)}


def get(name: str) -> Preset:
    """The preset called ``name`` (``quick``, ``seed`` or ``strong``)."""
    if name not in PRESETS:
        raise unknown_name("preset", name, PRESETS)
    return PRESETS[name]
