"""Argument checks shared by the video modules."""

from __future__ import annotations

import numbers

import numpy as np


def check_int(value, name: str, low: int, high: int | None = None) -> int:
    """An integer (not bool) in ``[low, high]``; ``ValueError`` naming ``name`` otherwise."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an integer {allowed}; got {value!r}")
    return int(value)


def check_positive(value, name: str) -> float:
    """A finite real number > 0."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return float(value)


def check_choice(value, name: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}; got {value!r}")
    return value


def check_size(value, name: str, *, allow_none: bool = False) -> tuple[int, int] | None:
    """A pair of positive integers ``(height, width)``."""
    if value is None and allow_none:
        return None
    msg = (
        f"{name} must be {'None or ' if allow_none else ''}a pair of positive integers "
        f"(height, width); got {value!r}"
    )
    if isinstance(value, str | bytes) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(msg)
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(msg)
        out.append(int(v))
    return out[0], out[1]


def check_clips(X, *, name: str = "X", uint8: bool = False, finite: bool = True) -> np.ndarray:
    """Video clips of shape (n_clips, T, H, W, 3), real-valued and non-empty (never copied).

    ``uint8=True`` requires 8-bit frames (face detection works on them). Float clips must be
    finite when ``finite`` is set.
    """
    arr = np.asarray(X)
    if arr.ndim != 5 or arr.shape[-1] != 3:
        hint = " (a single video of shape (T, H, W, 3) is X[None])" if arr.ndim == 4 else ""
        raise ValueError(
            f"{name} must be video clips of shape (n_clips, T, H, W, 3) with 3 colour channels "
            f"last; got shape {arr.shape}{hint}"
        )
    if 0 in arr.shape:
        raise ValueError(
            f"{name} is empty: shape {arr.shape}; every axis needs at least one element"
        )
    if uint8:
        if arr.dtype != np.uint8:
            raise ValueError(f"{name} must hold 8-bit frames (dtype uint8); got dtype {arr.dtype}")
        return arr
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold real intensities (integer or float); got {arr.dtype}")
    if finite and arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        clip = int(np.argwhere(~np.isfinite(arr))[0][0])
        raise ValueError(f"{name} contains NaN or infinite values (first in clip {clip})")
    return arr
