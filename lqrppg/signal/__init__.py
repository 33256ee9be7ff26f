"""Signal processing for pulse waveforms: filters, heart rate, SNR and transformers.

All functions take one signal of shape (T,) or a batch of shape (n_signals, T) and work
along the last axis; inputs are never modified.
"""

from ._filters import bandpass, detrend, diff_normalize, filter_pulse, standardize
from ._hr import estimate_hr, hr_fft, hr_peaks, hr_windowed, snr
from ._transformers import BandpassFilter, Detrender, SignalStandardizer

__all__ = [
    "BandpassFilter",
    "Detrender",
    "SignalStandardizer",
    "bandpass",
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
