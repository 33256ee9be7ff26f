"""Fixtures of the signal tests: closed-form pulse waveforms with known beat times."""

from __future__ import annotations

import numpy as np
import pytest


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
