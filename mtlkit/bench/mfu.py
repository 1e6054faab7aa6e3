"""Model FLOP utilisation: achieved training FLOP/s over the accelerator's peak.

``MFU = 3 * F * images_per_s / peak`` where ``F`` is the forward FLOPs of one image (measured by
:func:`mtlkit.backbones.count_flops`) and the backward pass costs about twice the forward (Kaplan et al.
2020; the PaLM paper's MFU, Chowdhery et al. 2022, appendix B). Peaks are the vendors' dense bf16
tensor-core figures, and for GPUs without bf16 tensor cores (T4, V100) their dense fp16 tensor-core
figures, the precision they train in there; an unknown device (or an fp32 run) has no MFU rather than
a guess.
"""

from __future__ import annotations

# Dense (no sparsity) bf16 tensor-core peaks in FLOP/s: NVIDIA's data sheets list bf16 "with sparsity",
# halved here (H100 SXM 1,979, PCIe 1,513, NVL 1,671 TFLOPS; H200 SXM 1,979, NVL 1,671; A100 312 dense).
# The longest name contained in ``torch.cuda.get_device_name()`` wins, so "H100 NVL" is not an "H100".
PEAK_BF16: dict[str, float] = {
    "H100": 989e12,  # SXM ("NVIDIA H100 80GB HBM3")
    "H100 PCIe": 756e12,
    "H100 NVL": 835e12,
    "H200": 989e12,  # SXM
    "H200 NVL": 835e12,
    "A100": 312e12,
}


# Dense fp16 tensor-core peaks of GPUs without bf16 tensor cores, in FLOP/s: NVIDIA T4 data sheet
# ("Mixed Precision (FP16/FP32) 65 TFLOPS"); NVIDIA V100 data sheet (SXM2 125, PCIe 112 TFLOPS).
PEAK_FP16: dict[str, float] = {"T4": 65e12, "V100": 125e12, "V100 PCIe": 112e12}


def _lookup(table: dict[str, float], device_name: str) -> float | None:
    matches = [name for name in table if name in device_name]
    return table[max(matches, key=len)] if matches else None


def peak_flops(device_name: str, half: bool) -> float | None:
    """The device's tensor-core peak FLOP/s when training with 16-bit autocast (``half``: bf16, or fp16
    on a GPU listed in :data:`PEAK_FP16`), None for fp32 or an unknown device."""
    if not half:
        return None
    return _lookup(PEAK_BF16, device_name) or _lookup(PEAK_FP16, device_name)


def mfu(forward_flops_per_image: float, images_per_s: float, peak: float | None) -> float | None:
    """Training MFU in [0, 1] (None without a known peak)."""
    if peak is None or peak <= 0:
        return None
    return 3.0 * forward_flops_per_image * images_per_s / peak
