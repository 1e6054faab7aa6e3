"""Where and how to compute: device, mixed precision by hardware and channels_last, decided once per run.

Mixed precision and channels_last pay off on CUDA (tensor cores, cuDNN NHWC kernels) and mostly slow
the CPU down, so ``"auto"`` turns them on only for CUDA, with the format the GPU computes natively:

- bf16 where the GPU has bf16 tensor cores (``torch.cuda.is_bf16_supported(including_emulation=False)``:
  Ampere or newer, e.g. A100, H100). bf16 keeps float32's exponent range, so no loss scaling is needed
  (Kalamkar et al. 2019, "A Study of BFLOAT16 for Deep Learning Training").
- fp16 with dynamic loss scaling (``torch.amp.GradScaler``) on older GPUs (T4, V100: Colab's free GPU
  has no bf16): fp16's narrow range would flush small gradients to zero, so the loss is multiplied by a
  scale before the backward pass and the gradients divided by it before the step; a step whose
  gradients overflow is skipped and the scale halved (Micikevicius et al., ICLR 2018, "Mixed Precision
  Training", section 3.2).
- float32 on the CPU.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from mtlkit.errors import UserError, unknown_name
from mtlkit.train_config import AMP_CHOICES

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class Precision:
    """The resolved compute settings of a run: device, autocast dtype (None: float32), memory format."""

    device: torch.device
    dtype: torch.dtype | None = None
    channels_last: bool = False

    @property
    def amp(self) -> bool:
        """Whether the forward pass autocasts to a 16-bit format."""
        return self.dtype is not None

    @property
    def scaled(self) -> bool:
        """Whether gradients need loss scaling (fp16)."""
        return self.dtype == torch.float16

    def autocast(self) -> contextlib.AbstractContextManager:
        """Autocast to ``dtype`` where enabled, else a no-op context."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.dtype)

    def scaler(self) -> torch.amp.GradScaler:
        """A loss scaler that is active for fp16 and a pass-through otherwise (same calls either way)."""
        return torch.amp.GradScaler(self.device.type, enabled=self.scaled)


def parse_device(device: str | torch.device) -> torch.device:
    """``torch.device(device)``, with one clear error for a bad name (``"auto"`` is not parsed here)."""
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise UserError(f"bad device {device!r}: use 'auto', 'cpu', 'cuda' or 'cuda:N'") from err


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> the current CUDA device if there is one, else the CPU; a clear error for bad names."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return (
            torch.device("cuda", torch.cuda.current_device())
            if torch.cuda.is_available()
            else torch.device("cpu")
        )
    resolved = parse_device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device {device!r} asked for, but no CUDA GPU is available: use --device cpu")
    return resolved


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` is a GPU with bf16 tensor cores (emulated bf16 is slower than fp16)."""
    return device.type == "cuda" and torch.cuda.is_bf16_supported(including_emulation=False)


def autocast_format(amp: str, device: torch.device) -> str:
    """``"bf16"``, ``"fp16"`` or ``"off"`` for the user's ``amp`` choice on ``device`` (module docstring)."""
    if amp not in AMP_CHOICES:
        raise unknown_name("amp", amp, AMP_CHOICES)
    if amp == "auto":
        if device.type != "cuda":
            return "off"
        return "bf16" if native_bf16(device) else "fp16"
    if amp == "bf16" and device.type == "cuda" and not native_bf16(device):
        raise UserError(
            f"amp 'bf16' asked for, but {torch.cuda.get_device_name(device)} has no bf16 tensor cores "
            "(Ampere or newer): use amp 'auto' or 'fp16'"
        )
    return amp


def resolve_precision(
    device: str | torch.device = "auto", amp: str = "auto", channels_last: str | bool = "auto"
) -> Precision:
    """Turn the user's ``amp`` / ``channels_last`` choices into a :class:`Precision` for this hardware."""
    dev = resolve_device(device)
    dtype = _DTYPES.get(autocast_format(amp, dev))
    if isinstance(channels_last, bool):
        use_cl = channels_last
    elif channels_last == "auto":
        use_cl = dev.type == "cuda"
    else:
        raise UserError(f"bad channels_last {channels_last!r}: use 'auto', True or False")
    return Precision(device=dev, dtype=dtype, channels_last=use_cl)
