"""Model FLOP utilisation: achieved training FLOP/s over the accelerator's peak.

``MFU = 3 * F * images_per_s / peak`` where ``F`` is the forward FLOPs of one image (measured by
:func:`mtlkit.backbones.count_flops`) and the backward pass costs about twice the forward (Kaplan et al.
2020; the PaLM paper's MFU, Chowdhery et al. 2022, appendix B). Peaks are the vendors' dense bf16
tensor-core figures; an unknown device (or a run without bf16) has no MFU rather than a guess.
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


def peak_flops(device_name: str, bf16: bool) -> float | None:
    """The device's peak FLOP/s for the precision in use, or None when unknown."""
    if not bf16:
        return None
    matches = [name for name in PEAK_BF16 if name in device_name]
    return PEAK_BF16[max(matches, key=len)] if matches else None


def mfu(forward_flops_per_image: float, images_per_s: float, peak: float | None) -> float | None:
    """Training MFU in [0, 1] (None without a known peak)."""
    if peak is None or peak <= 0:
        return None
    return 3.0 * forward_flops_per_image * images_per_s / peak
