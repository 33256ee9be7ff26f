"""The label-quantization parameters both LQ estimators take, checked in one place.

:class:`~lqrppg.quantization.LabelQuantizer` and :class:`~lqrppg.models.LQRPPGRegressor`
share ``levels``, the loss weights ``pearson_weight`` / ``frequency_weight`` and
``bpm_range``: :func:`check_lq_params` checks them (alone and against each other and the frame
rate) and :func:`lq_min_length` says how long a clip their objective needs, so both
estimators say the same thing about them. Their other parameters are declared per class
(``_parameter_constraints``, :mod:`lqrppg._validation`).
"""

from __future__ import annotations

import math
from typing import Any

from lqrppg._validation import check_real, is_int

__all__ = ["check_lq_params", "lq_min_length"]


def check_lq_params(estimator: Any, fs: float) -> None:
    """Check ``levels``, ``pearson_weight``, ``frequency_weight`` and ``bpm_range``.

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
    pearson = check_real(estimator.pearson_weight, "pearson_weight", 0.0)
    frequency = check_real(estimator.frequency_weight, "frequency_weight", 0.0)
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


def lq_min_length(estimator: Any, fs: float) -> tuple[int, str]:
    """Fewest samples per clip the objective of checked LQ parameters needs at ``fs``, and why.

    The frequency loss needs one period of ``bpm_range[0]``; without it a correlation needs 2.
    """
    if estimator.frequency_weight == 0:
        return 2, "a correlation needs T >= 2"
    lo = int(estimator.bpm_range[0])
    min_T = max(2, math.ceil(60.0 * fs / lo - 1e-9))
    return min_T, (
        f"the frequency loss needs one period of bpm_range[0]={lo} bpm at fs={fs:g} Hz, "
        f"i.e. T >= {min_T}; use longer clips, a higher bpm_range[0] or frequency_weight=0"
    )
