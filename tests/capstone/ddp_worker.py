"""Run by ``torchrun --nproc_per_node 2`` in test_ddp.py: fit a tiny model, record what each rank did."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from mtlkit.backbones import create
from mtlkit.data import load
from mtlkit.models import HardSharing
from mtlkit.train import TrainConfig, checkpoint, fit
from mtlkit.train.distributed import setup


def main(out: Path) -> None:
    ctx = setup("cpu")
    saves = []
    original = checkpoint.save_last
    checkpoint.save_last = lambda directory, state: saves.append(state["epoch"]) or original(directory, state)
    train = load("shapes", "train", size=480).take(200)
    val = load("shapes", "val", size=480)
    torch.manual_seed(0)
    model = HardSharing(create("tiny_cnn", width=8), train.tasks)
    weighting = sys.argv[2] if len(sys.argv) > 2 else "equal"
    from mtlkit.weighting import create as create_weighting

    history = fit(
        model,
        train,
        val,
        TrainConfig(epochs=2, batch_size=64, lr=3e-3),
        weighting=create_weighting(weighting, model.tasks),
        device="cpu",
        progress=False,
        checkpoint_dir=out / "checkpoint",
    )
    torch.save(model.state_dict(), out / f"rank{ctx.rank}.pt")
    (out / f"rank{ctx.rank}.json").write_text(
        json.dumps({"world_size": ctx.world_size, "saves": saves, "epochs": history.epochs})
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
