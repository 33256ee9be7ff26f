"""Heart-rate error metrics with standard errors, as reported in rPPG papers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._validation import check_choice

__all__ = [
    "bland_altman",
    "evaluate_hr",
    "hr_mae",
    "hr_mape",
    "hr_pearson",
    "hr_rmse",
]

_NAN_POLICIES = ("raise", "omit")


def _check_pair(hr_true, hr_pred, *, nan_policy: str = "raise"):
    """Validate two HR vectors.

    Returns the reference and the predictions as float arrays, NaN predictions removed
    under ``nan_policy="omit"``, and the boolean mask of the pairs kept.
    """
    check_choice(nan_policy, "nan_policy", _NAN_POLICIES)
    arrays = []
    for name, value in (("hr_true", hr_true), ("hr_pred", hr_pred)):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"{name} must hold numbers (bpm); got dtype {arr.dtype}")
        if arr.ndim != 1:
            raise ValueError(f"{name} must have shape (n,), one HR per clip; got {arr.shape}")
        arrays.append(arr.astype(np.float64, copy=False))
    t, p = arrays
    if t.shape != p.shape:
        raise ValueError(f"hr_true and hr_pred differ in length: {t.shape[0]} vs {p.shape[0]}")
    if np.any(np.isinf(t)) or np.any(np.isinf(p)):
        raise ValueError("heart rates must not be infinite")
    if np.any(np.isnan(t)):
        raise ValueError("hr_true contains NaN: every reference heart rate must be known")
    bad = np.isnan(p)
    kept = ~bad
    if np.any(bad):
        if nan_policy == "raise":
            raise ValueError(
                f"hr_pred contains {int(bad.sum())} NaN value(s) (clips where no HR could be "
                "estimated); pass nan_policy='omit' to score the others and report the count"
            )
        warnings.warn(
            f"{int(bad.sum())} of {bad.size} predictions are NaN and were left out of the "
            "metrics (nan_policy='omit')",
            UserWarning,
            stacklevel=3,
        )
        t, p = t[kept], p[kept]
    if t.size == 0:
        raise ValueError("no heart rates to compare")
    if np.any(t <= 0):
        raise ValueError("hr_true must hold positive heart rates in bpm")
    return t, p, kept


def _se(values: np.ndarray) -> float:
    return float(np.std(values) / np.sqrt(values.size))


def hr_mae(hr_true, hr_pred, *, return_std_error: bool = False, nan_policy: str = "raise"):
    """Mean absolute HR error (bpm).

    Parameters
    ----------
    hr_true, hr_pred : array-like of shape (n,)
        Reference and estimated heart rates in bpm.
    return_std_error : bool, default=False
        Also return the standard error ``std(|e|) / sqrt(n)``.
    nan_policy : {"raise", "omit"}, default="raise"
        What to do with NaN predictions (clips with no estimate): raise, or leave them
        out with a warning that counts them.

    Returns
    -------
    float, or (float, float) with ``return_std_error``

    Examples
    --------
    >>> from lqrppg.metrics import hr_mae
    >>> hr_mae([60, 70, 80], [61, 68, 80])
    1.0
    """
    t, p, _ = _check_pair(hr_true, hr_pred, nan_policy=nan_policy)
    abs_err = np.abs(p - t)
    value = float(abs_err.mean())
    return (value, _se(abs_err)) if return_std_error else value


def hr_rmse(hr_true, hr_pred, *, return_std_error: bool = False, nan_policy: str = "raise"):
    """Root mean squared HR error (bpm).

    The standard error is the delta-method one, ``SE(MSE) / (2 RMSE)`` with
    ``SE(MSE) = std(e**2) / sqrt(n)`` (rPPG-Toolbox reports ``sqrt(std(e**2) / sqrt(n))``,
    which is not in bpm; the values differ).

    Parameters
    ----------
    hr_true, hr_pred : array-like of shape (n,)
    return_std_error : bool, default=False
    nan_policy : {"raise", "omit"}, default="raise"

    Returns
    -------
    float, or (float, float) with ``return_std_error``

    Examples
    --------
    >>> from lqrppg.metrics import hr_rmse
    >>> round(hr_rmse([60, 70, 80], [63, 70, 76]), 4)
    2.8868
    """
    t, p, _ = _check_pair(hr_true, hr_pred, nan_policy=nan_policy)
    sq = (p - t) ** 2
    value = float(np.sqrt(sq.mean()))
    if not return_std_error:
        return value
    se = 0.0 if value == 0 else _se(sq) / (2.0 * value)
    return value, se


def hr_mape(hr_true, hr_pred, *, return_std_error: bool = False, nan_policy: str = "raise"):
    """Mean absolute percentage HR error (%).

    Parameters
    ----------
    hr_true, hr_pred : array-like of shape (n,)
    return_std_error : bool, default=False
    nan_policy : {"raise", "omit"}, default="raise"

    Returns
    -------
    float, or (float, float) with ``return_std_error``

    Examples
    --------
    >>> from lqrppg.metrics import hr_mape
    >>> hr_mape([50, 100], [55, 100])
    5.0
    """
    t, p, _ = _check_pair(hr_true, hr_pred, nan_policy=nan_policy)
    rel = 100.0 * np.abs(p - t) / t
    value = float(rel.mean())
    return (value, _se(rel)) if return_std_error else value


def hr_pearson(hr_true, hr_pred, *, return_std_error: bool = False, nan_policy: str = "raise"):
    """Pearson correlation of estimated with reference heart rates across clips.

    The standard error is ``sqrt((1 - r**2) / (n - 2))``. With fewer than three clips, or a
    constant vector, ``r`` is undefined: NaN with a warning.

    Parameters
    ----------
    hr_true, hr_pred : array-like of shape (n,)
    return_std_error : bool, default=False
    nan_policy : {"raise", "omit"}, default="raise"

    Returns
    -------
    float, or (float, float) with ``return_std_error``

    Examples
    --------
    >>> from lqrppg.metrics import hr_pearson
    >>> round(hr_pearson([60, 70, 80, 90], [62, 69, 81, 88]), 4)
    0.9939
    """
    from ..exceptions import EstimationWarning

    t, p, _ = _check_pair(hr_true, hr_pred, nan_policy=nan_policy)
    if t.size < 3 or np.ptp(t) == 0 or np.ptp(p) == 0:
        warnings.warn(
            "Pearson r is undefined for fewer than 3 clips or a constant HR vector; returned NaN",
            EstimationWarning,
            stacklevel=2,
        )
        return (np.nan, np.nan) if return_std_error else np.nan
    r = float(np.corrcoef(t, p)[0, 1])
    if not return_std_error:
        return r
    return r, float(np.sqrt(max(0.0, 1.0 - r * r) / (t.size - 2)))


def evaluate_hr(hr_true, hr_pred, *, snr=None, nan_policy: str = "raise") -> pd.DataFrame:
    """All HR metrics with standard errors in one table, with the coverage.

    Parameters
    ----------
    hr_true, hr_pred : array-like of shape (n,)
        Reference and estimated heart rates in bpm, one per clip or video. NaN in
        ``hr_pred`` marks an item with no estimate (declined).
    snr : array-like of shape (n,), optional
        Per-clip SNR in dB (e.g. from :func:`lqrppg.signal.snr`); adds an SNR row (mean and
        its standard error) over the scored clips.
    nan_policy : {"raise", "omit"}, default="raise"
        NaN predictions: raise, or leave them out of the error metrics (with a warning) and
        count them against the coverage.

    Returns
    -------
    DataFrame
        Index ``MAE``, ``RMSE``, ``MAPE``, ``Pearson`` (and ``SNR``) over the estimated
        items, then ``coverage``: the share of items with an estimate in % (standard error
        ``100 sqrt(p (1 - p) / n)``; its ``n`` is the number of items, the others' the
        number estimated). Columns ``value``, ``std_error``, ``unit``, ``n``. With
        ``nan_policy="omit"`` and no estimate at all, the error metrics are NaN and the
        coverage 0 %: a method that declines everything is reported, not an error.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.metrics import evaluate_hr
    >>> table = evaluate_hr([60, 70, 80, 90], [62, 69, 81, 88])
    >>> float(table.loc["MAE", "value"]), int(table.loc["MAE", "n"])
    (1.5, 4)
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     table = evaluate_hr([60, 70, 80, 90], [62, np.nan, 81, np.nan], nan_policy="omit")
    >>> float(table.loc["MAE", "value"]), float(table.loc["coverage", "value"])
    (1.5, 50.0)
    """
    if nan_policy == "omit":
        p_arr = np.asarray(hr_pred)
        if p_arr.dtype.kind == "f" and p_arr.size and np.all(np.isnan(p_arr)):
            # Check everything else on a fake estimate, then report the empty result.
            _check_pair(hr_true, np.zeros(p_arr.shape), nan_policy="raise")
            return _empty_table(p_arr.size, with_snr=snr is not None)
    t, p, kept = _check_pair(hr_true, hr_pred, nan_policy=nan_policy)
    rows = {
        "MAE": (*hr_mae(t, p, return_std_error=True), "bpm"),
        "RMSE": (*hr_rmse(t, p, return_std_error=True), "bpm"),
        "MAPE": (*hr_mape(t, p, return_std_error=True), "%"),
        "Pearson": (*hr_pearson(t, p, return_std_error=True), ""),
    }
    if snr is not None:
        s = np.asarray(snr, dtype=np.float64)
        if s.shape != kept.shape:
            raise ValueError(f"snr must have shape {kept.shape} like hr_true; got {s.shape}")
        s = s[kept]
        finite = s[np.isfinite(s)]
        if finite.size != s.size:
            raise ValueError("snr contains NaN or infinite values for scored clips")
        rows["SNR"] = (float(finite.mean()), _se(finite), "dB")
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["value", "std_error", "unit"])
    frame["n"] = t.size
    frame.loc["coverage"] = [*_coverage(kept), "%", kept.size]
    return frame


def _coverage(kept: np.ndarray) -> tuple[float, float]:
    share = float(kept.mean())
    return 100.0 * share, 100.0 * float(np.sqrt(share * (1.0 - share) / kept.size))


def _empty_table(n_items: int, *, with_snr: bool) -> pd.DataFrame:
    units = {"MAE": "bpm", "RMSE": "bpm", "MAPE": "%", "Pearson": ""}
    if with_snr:
        units["SNR"] = "dB"
    frame = pd.DataFrame(
        {"value": np.nan, "std_error": np.nan, "unit": list(units.values()), "n": 0},
        index=list(units),
    )
    frame.loc["coverage"] = [0.0, 0.0, "%", n_items]
    return frame


def bland_altman(hr_true, hr_pred, *, nan_policy: str = "raise") -> dict:
    """Bland-Altman agreement statistics of estimated vs reference heart rates.

    Parameters
    ----------
    hr_true, hr_pred : array-like of shape (n,)
    nan_policy : {"raise", "omit"}, default="raise"

    Returns
    -------
    dict
        ``mean`` (per-pair mean of the two, the x axis), ``difference`` (pred - true, the
        y axis), ``bias`` (mean difference), ``sd`` (sample standard deviation of the
        differences), ``loa_low`` and ``loa_high`` (bias -/+ 1.96 sd, the 95 % limits of
        agreement).

    Examples
    --------
    >>> from lqrppg.metrics import bland_altman
    >>> stats = bland_altman([60, 70, 80], [61, 71, 82])
    >>> round(stats["bias"], 3), round(stats["loa_high"], 3)
    (1.333, 2.465)
    """
    t, p, _ = _check_pair(hr_true, hr_pred, nan_policy=nan_policy)
    diff = p - t
    sd = float(np.std(diff, ddof=1)) if diff.size > 1 else float("nan")
    bias = float(diff.mean())
    return {
        "mean": (p + t) / 2.0,
        "difference": diff,
        "bias": bias,
        "sd": sd,
        "loa_low": bias - 1.96 * sd,
        "loa_high": bias + 1.96 * sd,
    }
