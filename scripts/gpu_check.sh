#!/usr/bin/env bash
# The prepared GPU check: one command for one GPU session (about 5-9 minutes on one H100/H200, no
# internet). Speed of the seed and strong presets (images/s, s/epoch, peak memory, MFU, ours vs a plain
# DataLoader) on CIFAR-shaped synthetic data, then one full seed cell on real CIFAR-10 when CIFAR_DIR
# holds cifar-10-batches-py/ (write it with: python ../shared/data/unpack_cifar.py CIFAR_DIR).
#
#   scripts/gpu_check.sh [OUT.json] [CIFAR_DIR]      # defaults: gpu_check.json, no CIFAR (cell skipped)
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
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
exec python -m mtlkit.bench.gpu_check "${args[@]}"
