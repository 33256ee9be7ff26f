"""Input validation shared by the signal functions."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_band", "check_fs", "check_signal", "is_flat"]


def check_signal(x, *, name: str = "x", min_length: int = 2) -> np.ndarray:
    """Return ``x`` as a float64 array of shape (T,) or (n, T), or raise ``ValueError``.

    The input is never modified: a new array is returned whenever a conversion is needed
    and callers must not write into the result.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - numpy raises many types here
        raise ValueError(
            f"{name} must be an array-like of numbers; got {type(x).__name__}"
        ) from exc
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must hold real numbers (bool, int or float dtype); got dtype {arr.dtype}"
        )
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{name} must have shape (T,) or (n_signals, T); got an array with shape {arr.shape}"
        )
    if arr.shape[-1] < min_length:
        raise ValueError(
            f"{name} is too short: T={arr.shape[-1]} samples along the last axis, "
            f"at least {min_length} are needed"
        )
    if arr.ndim == 2 and arr.shape[0] == 0:
        raise ValueError(f"{name} has no signals: shape {arr.shape}, expected (n_signals>=1, T)")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name} contains NaN or infinite values (first at index {tuple(int(i) for i in bad)});"
            " expected finite numbers"
        )
    return arr


def check_fs(fs) -> float:
    """Return the sampling rate as a float, or raise ``ValueError``."""
    if isinstance(fs, bool) or not isinstance(fs, numbers.Real) or not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"fs must be a positive finite sampling rate in Hz; got {fs!r}")
    return float(fs)


def check_band(band, fs: float) -> tuple[float, float]:
    """Return ``band`` as ``(low, high)`` in Hz with ``0 < low < high < fs / 2``."""
    try:
        low, high = (float(b) for b in band)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"band must be a pair (low_hz, high_hz) of numbers; got {band!r}") from exc
    if not (np.isfinite(low) and np.isfinite(high)) or not 0 < low < high < fs / 2:
        raise ValueError(
            f"band must satisfy 0 < low < high < fs/2 = {fs / 2:g} Hz; got ({low:g}, {high:g})"
        )
    return low, high


def is_flat(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """True where ``x`` does not vary along ``axis`` beyond round-off of its magnitude.

    Such a signal carries no pulse: estimates from it are refused (NaN with a warning).
    """
    spread = np.ptp(x, axis=axis)
    scale = np.max(np.abs(x), axis=axis)
    return spread <= 1e-12 * np.maximum(scale, 1e-300)
