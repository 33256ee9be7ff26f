"""Scorers that rate predicted pulse waveforms by the heart rate they give."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import make_scorer

from .._validation import check_choice
from ..exceptions import EstimationWarning
from ..signal import HR_BAND, estimate_hr
from ..signal._validation import check_band, check_fs
from ._hr_metrics import hr_mae, hr_mape, hr_rmse

__all__ = ["hr_error_from_waveforms", "make_hr_scorer"]

_METRICS = {"mae": hr_mae, "rmse": hr_rmse, "mape": hr_mape}


def _as_hr(values, *, fs, band, method, name):
    arr = np.asarray(values)
    if arr.ndim == 1:
        return arr.astype(np.float64)  # already one HR per clip
    if arr.ndim == 2:
        return np.asarray(estimate_hr(arr, fs, band=band, method=method), dtype=np.float64)
    raise ValueError(
        f"{name} must be waveforms of shape (n_clips, T) or heart rates of shape (n_clips,); "
        f"got shape {arr.shape}"
    )


def hr_error_from_waveforms(
    y_true, y_pred, *, fs: float, band=HR_BAND, method: str = "fft", metric: str = "mae"
) -> float:
    """HR error between reference and predicted waveforms (or heart rates).

    Waveforms of shape (n_clips, T) are turned into one HR per clip with
    :func:`lqrppg.signal.estimate_hr`; arrays of shape (n_clips,) are taken as heart rates
    in bpm. Clips where the prediction gives no HR make the error NaN (with a warning):
    a model that cannot produce a pulse is not rated on its other clips only.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_clips, T) or (n_clips,)
    fs : float
        Sampling rate of the waveforms in Hz.
    band : (float, float), default=HR_BAND
    method : {"fft", "peaks"}, default="fft"
    metric : {"mae", "rmse", "mape"}, default="mae"

    Returns
    -------
    float
        The error (bpm, or % for MAPE), NaN where any predicted HR is missing.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.metrics import hr_error_from_waveforms
    >>> t = np.arange(600) / 30.0
    >>> y = np.stack([np.sin(2 * np.pi * 1.0 * t), np.sin(2 * np.pi * 1.5 * t)])
    >>> round(hr_error_from_waveforms(y, y[::-1], fs=30.0), 1)
    30.0
    """
    check_choice(metric, "metric", sorted(_METRICS))
    fs = check_fs(fs)
    check_band(band, fs)
    hr_true = _as_hr(y_true, fs=fs, band=band, method=method, name="y_true")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EstimationWarning)
        hr_pred = _as_hr(y_pred, fs=fs, band=band, method=method, name="y_pred")
    if np.any(np.isnan(hr_true)):
        raise ValueError(
            "no heart rate could be estimated for some reference clips (y_true); the "
            "reference must carry a pulse"
        )
    if np.any(np.isnan(hr_pred)):
        warnings.warn(
            f"{int(np.isnan(hr_pred).sum())} of {hr_pred.size} predicted clips gave no heart "
            f"rate ({caught[0].message if caught else 'NaN'}); the score is NaN",
            EstimationWarning,
            stacklevel=2,
        )
        return float("nan")
    return float(_METRICS[metric](hr_true, hr_pred))


def make_hr_scorer(metric: str = "mae", *, fs: float = 30.0, band=HR_BAND, method: str = "fft"):
    """A scikit-learn scorer rating predicted waveforms by their HR error (negated).

    Use the returned object as ``scoring=`` in ``GridSearchCV`` or ``cross_val_score``
    (scikit-learn resolves only its own scorer names, so pass the object). The estimator's
    ``predict`` must return waveforms (n_clips, T) (or heart rates (n_clips,)) and ``y`` the
    reference waveforms or heart rates. Greater is better: the score is ``-error``.

    Parameters
    ----------
    metric : {"mae", "rmse", "mape"}, default="mae"
    fs : float, default=30.0
        Sampling rate in Hz.
    band : (float, float), default=HR_BAND
    method : {"fft", "peaks"}, default="fft"

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y) -> float``
        Picklable, so it works with joblib's process and dask back-ends.

    Examples
    --------
    >>> from lqrppg.metrics import make_hr_scorer
    >>> neg_hr_mae = make_hr_scorer("mae", fs=30.0)
    """
    check_choice(metric, "metric", sorted(_METRICS))
    fs = check_fs(fs)
    check_band(band, fs)
    return make_scorer(
        hr_error_from_waveforms,
        greater_is_better=False,
        fs=fs,
        band=tuple(band),
        method=method,
        metric=metric,
    )
