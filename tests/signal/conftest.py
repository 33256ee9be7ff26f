"""Fixtures of the signal tests: closed-form pulse waveforms with known beat times."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal as sps


def _harmonic_pulse(hr_bpm, fs, duration, *, dicrotic=0.4, delay=0.3, phase0=0.0, n_harm=8):
    """A periodic pulse of a systolic and a dicrotic wave, as a finite sum of harmonics.

    The beat template (two Gaussian waves, the dicrotic one ``delay`` of a period after
    the systolic one, ``dicrotic`` times as high) is truncated to its first harmonics,
    at most ``n_harm`` and none above 0.4 ``fs``, so the waveform is band-limited. The
    returned peak times are the maxima of that truncated template, found on a grid of
    1e-5 of a period: exact to a few microseconds.

    Returns ``x`` (T,) and the systolic peak times (s), including a few outside the signal.
    """
    f = hr_bpm / 60.0
    u = np.linspace(0.0, 1.0, 4000, endpoint=False)
    template = np.exp(-0.5 * ((u - 0.25) / 0.07) ** 2) + dicrotic * np.exp(
        -0.5 * ((u - 0.25 - delay) / 0.08) ** 2
    )
    n_harm = int(min(n_harm, np.floor(0.4 * fs / f)))
    coef = np.fft.rfft(template)[: n_harm + 1] / u.size

    def evaluate(phase):
        out = np.full(np.shape(phase), coef[0].real)
        for k in range(1, n_harm + 1):
            out += 2.0 * np.real(coef[k] * np.exp(2j * np.pi * k * phase))
        return out

    grid = np.linspace(0.0, 1.0, 100_000, endpoint=False)
    u_peak = grid[np.argmax(evaluate(grid))]
    t = np.arange(round(duration * fs)) / fs
    k = np.arange(-2, int(duration * f) + 3)
    return evaluate(f * t + phase0), (k + u_peak - phase0) / f


@pytest.fixture(scope="session")
def harmonic_pulse():
    """The function ``_harmonic_pulse`` (session scope, so hypothesis tests may use it)."""
    return _harmonic_pulse


def _ecg_r_peaks(ecg, fs):
    """R-peaks (sample indices) of an ECG lead by a plain QRS band-pass and threshold.

    An independent reference for the PPG beat tests: 5-30 Hz Butterworth (order 2,
    zero phase), peaks at least 0.3 s apart above half the 98th percentile.
    """
    b, a = sps.butter(2, [5.0, 30.0], btype="bandpass", fs=fs)
    qrs = sps.filtfilt(b, a, ecg)
    height = 0.5 * np.percentile(qrs, 98)
    peaks, _ = sps.find_peaks(qrs, distance=int(0.3 * fs), height=height)
    return peaks


@pytest.fixture(scope="session")
def ecg_r_peaks():
    """The function ``_ecg_r_peaks(ecg, fs)``."""
    return _ecg_r_peaks
