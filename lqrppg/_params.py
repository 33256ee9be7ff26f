"""Parameters of the torch estimators, read from the estimator and checked.

``param_int`` / ``param_real`` / ``param_bool`` read ``getattr(estimator, name)`` and check it
with the functions of :mod:`lqrppg._validation` (the estimators word integers "an int").
:func:`check_lq_params` checks the label-quantization parameters that
:class:`~lqrppg.quantization.LabelQuantizer` and :class:`~lqrppg.models.LQRPPGRegressor` share
(``levels``, the loss weights, ``bpm_range``), so both say the same thing about them.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from lqrppg._validation import check_bool, check_int, check_real, is_int, is_real

__all__ = [
    "LQParams",
    "check_lq_params",
    "is_int",
    "is_real",
    "param_bool",
    "param_int",
    "param_real",
]


def param_int(estimator: Any, name: str, low: int) -> int:
    """The integer parameter ``name`` of ``estimator``, at least ``low``."""
    return check_int(getattr(estimator, name), name, low, expected=f"an int >= {low}")


def param_real(
    estimator: Any, name: str, low: float, high: float = math.inf, *, open_low: bool = False
) -> float:
    """The real parameter ``name``: finite, ``>= low`` (``> low`` if open_low), ``< high``."""
    return check_real(getattr(estimator, name), name, low, high, open_low=open_low)


def param_bool(estimator: Any, name: str) -> bool:
    """The boolean parameter ``name`` (Python or numpy bool)."""
    return check_bool(getattr(estimator, name), name)


class LQParams(NamedTuple):
    """The label-quantization parameters, checked."""

    levels: tuple[int, ...]
    pearson_weight: float
    frequency_weight: float
    bpm_range: tuple[int, int]


def check_lq_params(estimator: Any, fs: float) -> LQParams:
    """``levels``, ``pearson_weight``, ``frequency_weight`` and ``bpm_range`` of ``estimator``.

    ``fs`` (already checked) bounds ``bpm_range[1]`` below the Nyquist frequency when the
    frequency loss is used.
    """
    levels = estimator.levels
    if (
        isinstance(levels, (str, bytes))
        or not hasattr(levels, "__len__")
        or len(levels) == 0
        or not all(is_int(k) and k >= 2 for k in levels)
    ):
        raise ValueError(
            "levels must be a sequence of ints >= 2, at least one (codewords per level, coarse "
            f"to fine, e.g. (2, 4, 8, 16, 32)); got {levels!r}"
        )
    pearson = param_real(estimator, "pearson_weight", 0.0)
    frequency = param_real(estimator, "frequency_weight", 0.0)
    if pearson + frequency == 0:
        raise ValueError(
            "pearson_weight and frequency_weight cannot both be 0: the quantizers would have "
            "nothing to reproduce"
        )
    bpm = estimator.bpm_range
    try:
        lo, hi = bpm
        ok = is_int(lo) and is_int(hi) and 1 <= lo <= hi
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            "bpm_range must be a pair of ints (low, high) with 1 <= low <= high, in beats per "
            f"minute; got {bpm!r}"
        )
    if frequency > 0 and hi / 60.0 >= fs / 2.0:
        raise ValueError(
            f"bpm_range[1]={hi} bpm ({hi / 60:.3g} Hz) must lie below the Nyquist frequency "
            f"fs/2 = {fs / 2:g} Hz = {30 * fs:g} bpm"
        )
    return LQParams(tuple(int(k) for k in levels), pearson, frequency, (int(lo), int(hi)))
