"""Signal processing for pulse waveforms: filters, heart rate with its quality, SNR, transformers.

All functions take one signal of shape (T,) or a batch of shape (n_signals, T) and work
along the last axis; inputs are never modified.
"""

from ._filters import (
    CHAINS,
    HR_BAND,
    bandpass,
    detrend,
    diff_normalize,
    filter_pulse,
    standardize,
)
from ._hr import (
    CONFIDENCE_THRESHOLDS,
    MIN_SNR,
    HREstimate,
    confidence_label,
    estimate_hr,
    hr_fft,
    hr_peaks,
    hr_windowed,
    snr,
)
from ._transformers import BandpassFilter, Detrender, SignalStandardizer

__all__ = [
    "CHAINS",
    "CONFIDENCE_THRESHOLDS",
    "HR_BAND",
    "MIN_SNR",
    "BandpassFilter",
    "Detrender",
    "HREstimate",
    "SignalStandardizer",
    "bandpass",
    "confidence_label",
    "detrend",
    "diff_normalize",
    "estimate_hr",
    "filter_pulse",
    "hr_fft",
    "hr_peaks",
    "hr_windowed",
    "snr",
    "standardize",
]
