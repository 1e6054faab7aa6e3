"""Where and how to compute: device choice, bf16 autocast and channels_last, decided once per run.

Mixed precision and channels_last pay off on CUDA (tensor cores, cuDNN NHWC kernels) and mostly slow
the CPU down, so ``"auto"`` turns them on only for CUDA. bf16 needs no loss scaling (same exponent
range as float32), unlike fp16.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from mtlkit.errors import UserError

_AMP_CHOICES = ("auto", "bf16", "off")


@dataclass(frozen=True)
class Precision:
    """The resolved compute settings of a run."""

    device: torch.device
    amp: bool
    channels_last: bool

    def autocast(self) -> contextlib.AbstractContextManager:
        """bf16 autocast where enabled, else a no-op context."""
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)


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


def resolve_precision(
    device: str | torch.device = "auto", amp: str | bool = "auto", channels_last: str | bool = "auto"
) -> Precision:
    """Turn the user's ``amp`` / ``channels_last`` choices (``"auto"``, booleans) into a :class:`Precision`."""
    dev = resolve_device(device)
    on_cuda = dev.type == "cuda"
    if isinstance(amp, bool):
        use_amp = amp
    elif amp in _AMP_CHOICES:
        use_amp = amp == "bf16" or (amp == "auto" and on_cuda and torch.cuda.is_bf16_supported())
    else:
        raise UserError(f"bad amp {amp!r}: choose one of {', '.join(_AMP_CHOICES)} (or True/False)")
    if isinstance(channels_last, bool):
        use_cl = channels_last
    elif channels_last == "auto":
        use_cl = on_cuda
    else:
        raise UserError(f"bad channels_last {channels_last!r}: use 'auto', True or False")
    return Precision(device=dev, amp=use_amp, channels_last=use_cl)
