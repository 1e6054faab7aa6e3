"""The prepared GPU check: ``python -m mtlkit.bench.gpu_check OUT.json [--cifar DIR] [--smoke]``.

One command for one GPU session (``scripts/gpu_check.sh`` wraps it; no internet, nothing downloaded):

1. **Speed**, for the ``seed`` and ``strong`` presets, each backbone as its multi-task model
   (:func:`mtlkit.bench.bench`): images/s, s/epoch, peak memory, MFU and our loop against a plain
   ``DataLoader`` loop, on CIFAR-shaped synthetic data (random uint8 images: speed does not depend on
   what the pixels show, and no dataset has to be carried in);
2. **The lessons' full runs**: the wall time of lessons 1-6 with ``QUICK`` off, each run as its jupytext
   script (``python lessons/NN_name.py``: the notebook's cells without Jupyter) on the ``shapes`` data,
   as lessons/README.md measures them on a CPU (lesson 7's full run is the capstone grid itself);
3. **One full cell**: the ``seed`` preset's CIFAR-10 ViT multi-task run (20 epochs, the configuration
   that won the study's Figure 7), trained on real CIFAR-10 from ``--cifar DIR`` when it holds
   ``cifar-10-batches-py/`` (``/work/shared/data/unpack_cifar.py DIR`` writes it), else skipped.

``--parts`` picks some of them (``speed,lessons,cell``, the default), e.g. to split the check over two
calls of a machine that takes only so much data per call.

Everything goes into one JSON file, rewritten after each part, so a run cut short by its time limit
still leaves what it measured. ``--smoke`` runs the same code on a CPU in seconds for CI: the ``quick``
preset's models, two steps, lesson 1's quick run, and the ``quick`` preset's shapes cell for one epoch
on 200 images.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CIFAR_TASKS = {"cifar10": (10, 2), "cifar100": (100, 20)}
PARTS = ("speed", "lessons", "cell")
LESSONS = Path(__file__).resolve().parents[2] / "lessons"  # in a checkout; absent from an installed wheel
LESSON_TIMEOUT = 300  # seconds; a lesson's full run takes 45-423 s on 2 CPU cores (lessons/README.md)


def synthetic_cifar(name: str, n: int, seed: int = 0):
    """A CIFAR-shaped train split of ``n`` random images: uint8 ``[n, 3, 32, 32]``, fine and coarse
    labels (coarse = fine mod the number of coarse classes: the speed does not depend on the mapping)."""
    import torch

    from mtlkit.data.dataset import TaskDataset

    fine_classes, coarse_classes = CIFAR_TASKS[name]
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g)
    fine = torch.randint(0, fine_classes, (n,), generator=g)
    coarse_of_fine = torch.arange(fine_classes) % coarse_classes
    return TaskDataset(
        name=name,
        split="train",
        images=images,
        labels={"fine": fine, "coarse": coarse_of_fine[fine]},
        tasks={"fine": fine_classes, "coarse": coarse_classes},
        class_names={
            "fine": [str(i) for i in range(fine_classes)],
            "coarse": [str(i) for i in range(coarse_classes)],
        },
        coarse_of_fine=coarse_of_fine,
        mean=(0.5, 0.5, 0.5),
        std=(0.25, 0.25, 0.25),
    )


def speed(presets: Sequence[str], steps: int, device: str, smoke: bool) -> list[dict[str, Any]]:
    """:func:`mtlkit.bench.bench` rows of every backbone of each preset (on synthetic CIFAR unless smoke)."""
    from mtlkit.bench import bench
    from mtlkit.capstone.presets import get

    rows = []
    for name in presets:
        preset = get(name)
        batch = 8 if smoke else None
        if preset.datasets[0] in CIFAR_TASKS:
            largest = max(fields.get("batch_size", 0) for fields in preset.backbones.values()) or 512
            train = synthetic_cifar(preset.datasets[0], steps * (batch or max(largest, 256)))
        else:
            train = None
        rows += bench(name, steps=steps, batch_size=batch, device=device, train=train)
    return rows


def lesson(number: int, smoke: bool, timeout: int = LESSON_TIMEOUT) -> dict[str, Any]:
    """Wall time of one lesson's script, run to its end in a scratch folder with no CIFAR (``shapes``)."""
    script = next(LESSONS.glob(f"{number:02d}_*.py"), None)
    if script is None:
        return {"lesson": number, "skipped": f"no lessons/{number:02d}_*.py under {LESSONS}"}
    with tempfile.TemporaryDirectory(prefix="mtlkit-lesson-") as scratch:
        env = {
            **os.environ,
            "MTLKIT_DATA": scratch,
            "MPLBACKEND": "Agg",
            "MTLKIT_SMOKE": "1" if smoke else "0",
        }
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, str(script)],
                cwd=scratch,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            rc, tail = done.returncode, (done.stderr.strip() or done.stdout.strip())[-300:]
        except subprocess.TimeoutExpired:
            rc, tail = None, f"stopped after {timeout} s"
    row = {"lesson": script.stem, "seconds": round(time.perf_counter() - started, 1), "rc": rc}
    print(f"lesson {script.stem}: {row['seconds']} s, rc {rc}", flush=True)
    return row if rc == 0 else {**row, "error": tail}


def full_cell(cifar: str | None, device: str, smoke: bool) -> dict[str, Any]:
    """Train the seed preset's CIFAR-10 ViT MTL cell (smoke: the quick preset's shapes cell, briefly)."""
    from mtlkit.capstone import grid, presets, study
    from mtlkit.experiment import run

    overrides: dict[str, Any]
    if smoke:
        preset, dataset, backbone, overrides = "quick", "shapes", "cnn", {"epochs": 1, "limit": 200}
    else:
        if cifar is None or not (Path(cifar) / "cifar-10-batches-py").is_dir():
            return {"skipped": f"no CIFAR-10 (cifar-10-batches-py/) under {cifar!r}: pass --cifar DIR"}
        preset, dataset, backbone, overrides = "seed", "cifar10", "vit", {"root": str(cifar)}
    planned = next(
        r
        for r in grid.plan(
            presets.get(preset),
            datasets=[dataset],
            backbones=[backbone],
            seeds=[0],
            overrides={**overrides, "device": device},
        )
        if r.mode == "mtl"
    )
    started = time.perf_counter()
    result = run(planned.config, None, progress=not smoke)
    published = study.cell(dataset, backbone, "mtl")
    return {
        "run": planned.name,
        "config": planned.config.to_dict(),
        "test": {t: m.get("acc") for t, m in result["test"].items()},
        "best_epoch": result["best_epoch"],
        "seconds_per_epoch": result["seconds_per_epoch"],
        "median_seconds_per_epoch_after_first": result.get("median_seconds_per_epoch_after_first"),
        "wall_seconds": time.perf_counter() - started,
        "study": None if published is None else {"accuracy": published.accuracy, "source": published.source},
    }


def check(
    out: str,
    cifar: str | None = None,
    smoke: bool = False,
    steps: int = 50,
    device: str = "auto",
    parts: Sequence[str] = PARTS,
) -> dict:
    """Run the check's ``parts`` (see the module docstring), writing ``out`` after each part."""
    import torch

    from mtlkit._io import write_json
    from mtlkit.experiment import device_name
    from mtlkit.train import resolve_device

    presets = ("quick",) if smoke else ("seed", "strong")
    record: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "device": device_name(resolve_device(device)),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "smoke": smoke,
        "presets": list(presets),
        "speed_data": "synthetic CIFAR-shaped uint8 images" if not smoke else "shapes",
    }
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise ValueError(f"unknown part(s) {unknown}: choose from {', '.join(PARTS)}")
    write_json(out, record)
    if "speed" in parts:
        record["speed"] = speed(presets, 2 if smoke else steps, device, smoke)
        write_json(out, record)
    if "lessons" in parts:
        record["lessons"] = []
        for number in (1,) if smoke else range(1, 7):  # the file after each: a lesson may be cut short
            record["lessons"].append(lesson(number, smoke))
            write_json(out, record)
    if "cell" in parts:
        record["cell"] = full_cell(cifar, device, smoke)
    record["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_json(out, record)
    return record


def main(argv: Sequence[str] | None = None) -> int:
    from mtlkit._table import markdown_table

    parser = argparse.ArgumentParser(
        prog="python -m mtlkit.bench.gpu_check", description=__doc__.split("\n")[0]
    )
    parser.add_argument("out", help="the JSON file to write")
    parser.add_argument("--cifar", default=None, help="folder holding cifar-10-batches-py/ (real CIFAR-10)")
    parser.add_argument("--smoke", action="store_true", help="CPU smoke test: quick preset, tiny work")
    parser.add_argument("--steps", type=int, default=50, help="training steps per timed pass (default 50)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated (default: %(default)s)")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    try:
        record = check(args.out, args.cifar, args.smoke, args.steps, args.device, parts)
    except ValueError as err:  # an unknown part, refused before any work
        parser.error(f"--parts {args.parts!r}: {err}")
    shown = [
        {**r, "mfu": "n/a" if r["mfu"] is None else f"{100 * r['mfu']:.1f}%"} for r in record.get("speed", [])
    ]
    columns = ["preset", "backbone", "batch", "images_per_s", "s_per_epoch", "peak_memory", "mfu"]
    if shown:
        print(markdown_table(shown, [*columns, "plain_images_per_s", "ours_vs_plain", "device"], digits=2))
    for row in record.get("lessons", []):
        print("lesson:", row)
    if "cell" in record:
        print("full cell:", record["cell"])
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
