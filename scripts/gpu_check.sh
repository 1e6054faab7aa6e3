#!/usr/bin/env bash
# The prepared GPU check: one command for one GPU session (no internet; on one H200, 2026-12-04: about
# 1 + 2.5 + 3 minutes for its three parts, docs/results.md). Speed of the seed and strong presets
# (images/s, s/epoch, peak memory, MFU, ours vs a plain DataLoader) on CIFAR-shaped synthetic data, the
# full runs of lessons 1-6, then one full seed cell on real CIFAR-10 when CIFAR_DIR holds
# cifar-10-batches-py/ (write it with: python ../shared/data/unpack_cifar.py CIFAR_DIR).
#
#   scripts/gpu_check.sh [OUT.json] [CIFAR_DIR] [--parts speed,lessons,cell]   # defaults: gpu_check.json,
#                                                    # no CIFAR (cell skipped), every part
#   scripts/gpu_check.sh --smoke OUT.json            # the same code on a CPU in seconds (CI)
set -euo pipefail
if [[ "${1:-}" == "--smoke" ]]; then
    exec python -m mtlkit.bench.gpu_check "${2:-gpu_check.json}" --smoke --device cpu
fi
out="${1:-gpu_check.json}"
args=("$out")
if [[ -n "${2:-}" ]]; then
    args+=(--cifar "$2")
fi
args+=("${@:3}")  # e.g. --parts speed,lessons
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
exec python -m mtlkit.bench.gpu_check "${args[@]}"
