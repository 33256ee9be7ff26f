"""Argument checks shared by the torch modules (messages name the argument and the range)."""

from __future__ import annotations

import numbers
from typing import Any

import torch

__all__ = ["ARCHITECTURES", "check_architecture", "check_int", "check_real", "shape_of"]

#: Values of the ``architecture`` argument of the LQ-rPPG modules: ours, or the form of the
#: authors' released code (whose checkpoints load into it).
ARCHITECTURES = ("lqrppg", "authors")


def shape_of(t: Any) -> str:
    """The shape of a tensor as text, or the type name of anything else (for errors)."""
    return str(tuple(t.shape)) if isinstance(t, torch.Tensor) else type(t).__name__


def check_int(name: str, value: Any, low: int) -> int:
    """``value`` as an int, or ``ValueError`` unless it is an integer ``>= low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}; got {value!r}")
    return int(value)


def check_real(name: str, value: Any, low: float, high: float, *, open_low: bool) -> float:
    """``value`` as a float in ``[low, high)`` (``(low, high)`` when ``open_low``)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        ok = (value > low if open_low else value >= low) and value < high
    if not ok:
        lo = f"> {low}" if open_low else f">= {low}"
        raise ValueError(f"{name} must be a number {lo} and < {high}; got {value!r}")
    return float(value)


def check_architecture(architecture: Any) -> str:
    """``architecture`` if it is one of :data:`ARCHITECTURES`, else a ``ValueError``."""
    if not isinstance(architecture, str) or architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}; got {architecture!r}")
    return architecture
