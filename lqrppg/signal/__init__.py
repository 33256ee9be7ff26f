"""Signal processing for pulse waveforms: filters, heart rate with its quality, SNR, beats,
HRV, respiration rate and transformers.

All functions take one signal of shape (T,) or a batch of shape (n_signals, T) and work
along the last axis; inputs are never modified.
"""

from ._beats import BEAT_QUALITY, Beats, classify_intervals, detect_beats
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
from ._hrv import HRV, MIN_LF_DURATION, hrv
from ._respiration import MODULATIONS, Respiration, respiration_rate
from ._transformers import BandpassFilter, Detrender, SignalStandardizer

__all__ = [
    "BEAT_QUALITY",
    "CHAINS",
    "CONFIDENCE_THRESHOLDS",
    "HRV",
    "HR_BAND",
    "MIN_LF_DURATION",
    "MIN_SNR",
    "MODULATIONS",
    "BandpassFilter",
    "Beats",
    "Detrender",
    "HREstimate",
    "Respiration",
    "SignalStandardizer",
    "bandpass",
    "classify_intervals",
    "confidence_label",
    "detect_beats",
    "detrend",
    "diff_normalize",
    "estimate_hr",
    "filter_pulse",
    "hr_fft",
    "hr_peaks",
    "hr_windowed",
    "hrv",
    "respiration_rate",
    "snr",
    "standardize",
]
