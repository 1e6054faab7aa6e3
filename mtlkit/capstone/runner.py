"""``run_capstone``: plan the grid, train what is not finished, rebuild runs.csv, summary.md and figures.

Resumable by construction: each run has its own folder (``runs/<name>/``) with ``run.json`` (its cell
and config), checkpoints (on the cadence of :class:`mtlkit.train.checkpoint.Cadence`) and, once
finished, ``metrics.json``, after which its ``checkpoint/last.pt`` is deleted (``best.pt`` is kept).
Re-running the same command skips finished runs, continues an interrupted one from
``checkpoint/last.pt`` (ending with the same metrics as an uninterrupted run on the CPU) and rebuilds
the report from all finished runs.
A folder holding a different preset, or a run with a different config, is refused rather than mixed.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mtlkit._io import write_json, write_text
from mtlkit.capstone import figures, grid, presets, results, summary
from mtlkit.errors import UserError
from mtlkit.experiment import RESULT_FILE, load_splits, prepare_output, validate
from mtlkit.train.checkpoint import LAST

STATE_FILE = "capstone.json"
# Where a run trains, whether it is compiled, where the data is read from and how often it saves its
# checkpoint (device and root of RunConfig; compile and checkpoint_* of its TrainConfig) do not change
# what it computes (progress and quiet are not part of a config at all): a
# resume may change them.
_IGNORED = ("device", "compile", "root", "checkpoint_every", "checkpoint_seconds")


def run_capstone(
    preset: str = "quick",
    *,
    out: str | os.PathLike,
    datasets: Sequence[str] | None = None,
    backbones: Sequence[str] | None = None,
    weightings: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
    devices: Sequence[str] | None = None,
    overrides: dict[str, Any] | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run (or resume) the capstone grid into ``out``; return the rows, failures and report paths.

    ``devices``: None trains in this process, one run after another; a list (``["0", "1"]``,
    ``["cpu", "cpu"]``) runs one worker process per entry. ``overrides`` replace preset fields of every
    run (e.g. ``{"epochs": 1, "limit": 500}`` for a smoke test).
    """
    started = time.perf_counter()
    chosen = presets.get(preset)
    if devices:
        from mtlkit.capstone.scheduler import check_devices

        check_devices(devices)
    runs = grid.plan(
        chosen,
        datasets=datasets,
        backbones=backbones,
        weightings=weightings,
        seeds=seeds,
        overrides=overrides,
    )
    check_runs(runs, devices)
    root = prepare_output(out)
    trained, failed = train_runs(root, chosen.name, runs, devices=devices, progress=progress, log=log)
    report = write_report(root, chosen.name)
    report["failed"] = failed
    report["wall_s"] = time.perf_counter() - started
    log(
        f"capstone {chosen.name}: {len(trained)} runs trained, report written, in {wall_clock(report['wall_s'])} ({machine()})"
    )
    return report


def train_runs(
    root: Path,
    preset: str,
    runs: Sequence[grid.PlannedRun],
    *,
    resume: bool = True,
    devices: Sequence[str] | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> tuple[list[Path], dict[str, str]]:
    """Train the (checked) ``runs`` of ``preset`` into ``root/runs/<name>/``; return the folders it
    trained and ``{name: why}`` of those that failed.

    With ``resume`` a finished run is skipped and an interrupted one continues; without, every run
    is trained afresh (its earlier folder removed first). ``devices``: see :func:`run_capstone`.
    """
    _claim(root, preset)
    directories = [_prepare(root, r, resume) for r in runs]
    todo = [d for d in directories if not (d / RESULT_FILE).exists()]
    log(f"capstone {preset}: {len(runs)} runs, {len(runs) - len(todo)} already finished")
    if devices:
        from mtlkit.capstone.scheduler import run_queue

        status = run_queue(todo, devices, log=log)
        failed = {name: f"exit status {rc}" for name, rc in status.items() if rc != 0}
    else:
        failed = _run_here(todo, runs, progress, log)
    for directory in directories:  # also those finished by worker processes or an earlier call
        drop_resume_state(directory)
    return todo, failed


def wall_clock(seconds: float) -> str:
    """``2 min 05 s``."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def machine() -> str:
    """``2 CPU cores, load average 1.52 now``: what a wall time was measured on."""
    cores = os.cpu_count() or 0
    load = f", load average {os.getloadavg()[0]:.2f} now" if hasattr(os, "getloadavg") else ""
    return f"{cores} CPU cores{load}"


def check_runs(runs: Sequence[grid.PlannedRun], devices: Sequence[str] | None = None) -> None:
    """Fail on missing data or any bad name or option of any planned run before anything is written.

    Each dataset is loaded once; each run's model is built on the meta device with its weighting
    (:func:`mtlkit.experiment.validate`). With ``devices``, workers train on the device the scheduler
    gives them (already checked by ``check_devices``), so the config's device is not checked here.
    """
    from dataclasses import replace

    for dataset in dict.fromkeys(r.dataset for r in runs):
        tasks = load_splits(next(r.config for r in runs if r.dataset == dataset))["train"].tasks
        for r in runs:
            if r.dataset == dataset:
                validate(replace(r.config, device="cpu") if devices else r.config, tasks)


def _claim(root: Path, preset: str) -> None:
    state = root / STATE_FILE
    if state.exists():
        held = json.loads(state.read_text()).get("preset")
        if held != preset:
            raise UserError(
                f"{root} holds a capstone of preset {held!r}, not {preset!r}: choose another --out"
            )
    else:
        write_json(state, {"preset": preset})


def _comparable(config: dict[str, Any]) -> dict[str, Any]:
    """The config's keys that change a result, flat (a run.json written before TrainConfig is flat)."""
    normalised = json.loads(json.dumps(config))
    recipe = normalised.pop("train", {})
    flat = {**normalised, **recipe}
    return {k: v for k, v in flat.items() if k not in _IGNORED}


def _prepare(root: Path, planned: grid.PlannedRun, resume: bool = True) -> Path:
    """The run's folder, with its ``run.json``; refuse a folder that holds another config (``resume``)
    or empty it (a fresh run: nothing of an earlier one may be resumed or reported)."""
    directory = root / results.RUNS_DIR / planned.name
    if not resume and (directory / results.RUN_META).exists():
        shutil.rmtree(directory)
    meta = {**planned.meta(), "config": planned.config.to_dict()}
    path = directory / results.RUN_META
    if path.exists():
        held = _comparable(json.loads(path.read_text())["config"])
        wanted = _comparable(meta["config"])
        if held != wanted:
            keys = sorted(k for k in set(held) | set(wanted) if held.get(k) != wanted.get(k))
            raise UserError(
                f"{directory} holds a run with a different config (differs in {', '.join(keys)}): "
                "use another --out, or delete that folder to retrain it"
            )
        if not (directory / RESULT_FILE).exists():  # workers read run.json: give them today's choices
            write_json(path, meta)
    else:
        write_json(path, meta)
    return directory


def _run_here(
    directories: list[Path], runs: Sequence[grid.PlannedRun], progress: bool, log: Callable[[str], None]
) -> dict[str, str]:
    from mtlkit.experiment import run

    configs = {r.name: r.config for r in runs}
    failed = {}
    for i, directory in enumerate(directories, 1):
        log(f"== [{i}/{len(directories)}] {directory.name}")
        try:
            run(configs[directory.name], directory, resume=True, progress=progress)
            drop_resume_state(directory)  # at once: a grid of ResNet-152 runs would hold ~1 GB each
        except Exception as err:
            write_text(directory / "error.txt", traceback.format_exc())
            failed[directory.name] = f"{type(err).__name__}: {err}"
            log(f"!! {directory.name} failed: {failed[directory.name]} (see {directory / 'error.txt'})")
    return failed


def drop_resume_state(directory: Path) -> bool:
    """Delete a finished run's ``checkpoint/last.pt`` (its training state, ~0.9 GB for ResNet-152):
    nothing resumes a run that has ``metrics.json``. ``best.pt``, the selected weights, stays."""
    last = directory / "checkpoint" / LAST
    if not (directory / RESULT_FILE).exists() or not last.exists():
        return False
    last.unlink()
    return True


def write_report(out: str | os.PathLike, preset: str) -> dict[str, Any]:
    """Rebuild ``runs.csv``, ``summary.md`` and ``figures/`` from every finished run in ``out``."""
    root = Path(out)
    rows, pending = results.collect(root)
    csv = results.write_csv(rows, root / "runs.csv")
    text = summary.summary_markdown(rows, preset, pending)
    md = write_text(root / "summary.md", text)
    pictures = figures.draw_all(rows, root / "figures")
    return {"rows": rows, "pending": pending, "runs_csv": csv, "summary_md": md, "figures": pictures}
