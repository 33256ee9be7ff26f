"""Heart-rate metrics with standard errors and coverage, waveform scorers, Bland-Altman
statistics and the reference HR of contact PPG."""

from ..signal import HR_BAND
from ._hr_metrics import bland_altman, evaluate_hr, hr_mae, hr_mape, hr_pearson, hr_rmse
from ._reference import ReferenceHR, reference_hr
from ._scorers import hr_error_from_waveforms, make_hr_scorer

__all__ = [
    "ReferenceHR",
    "bland_altman",
    "evaluate_hr",
    "hr_error_from_waveforms",
    "hr_mae",
    "hr_mape",
    "hr_pearson",
    "hr_rmse",
    "make_hr_scorer",
    "neg_hr_mae",
    "neg_hr_rmse",
    "reference_hr",
]


def neg_hr_mae(fs: float = 30.0, *, band=HR_BAND, method: str = "fft"):
    """Scorer: negative HR MAE of predicted waveforms sampled at ``fs`` Hz.

    Shorthand for ``make_hr_scorer("mae", fs=fs, band=band, method=method)``.
    """
    return make_hr_scorer("mae", fs=fs, band=band, method=method)


def neg_hr_rmse(fs: float = 30.0, *, band=HR_BAND, method: str = "fft"):
    """Scorer: negative HR RMSE of predicted waveforms sampled at ``fs`` Hz.

    Shorthand for ``make_hr_scorer("rmse", fs=fs, band=band, method=method)``.
    """
    return make_hr_scorer("rmse", fs=fs, band=band, method=method)
