"""Heart-rate estimation and SNR against closed-form signals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal as sps

from lqrppg.exceptions import EstimationWarning
from lqrppg.signal import estimate_hr, hr_fft, hr_peaks, hr_windowed, snr

FS = 30.0


def _pulse_train(hr_bpm, duration, fs, *, notch=True):
    """A beat-by-beat pulse (systolic wave + dicrotic wave), exactly ``hr_bpm``."""
    t = np.arange(int(duration * fs)) / fs
    period = 60.0 / hr_bpm
    phase = (t % period) / period
    wave = np.exp(-(((phase - 0.2) / 0.08) ** 2))
    if notch:
        wave = wave + 0.4 * np.exp(-(((phase - 0.55) / 0.1) ** 2))
    return wave


@settings(max_examples=60, deadline=None)
@given(
    f=st.floats(0.75 + 0.5 / 60, 2.5 - 0.5 / 60),
    duration=st.floats(10.0, 60.0),
    phase=st.floats(0, 2 * np.pi),
    fs=st.sampled_from([25.0, 30.0, 60.0]),
)
def test_hr_fft_sinusoid_anywhere_in_band(f, duration, phase, fs):
    t = np.arange(int(duration * fs)) / fs
    assert abs(hr_fft(np.sin(2 * np.pi * f * t + phase), fs) - 60 * f) < 0.5


def test_hr_fft_without_interpolation_is_the_fft_bin():
    t = np.arange(300) / FS
    x = np.sin(2 * np.pi * 1.234 * t)
    freqs = np.fft.rfftfreq(512, 1 / FS)
    power = np.abs(np.fft.rfft(x, 512)) ** 2
    band = (freqs >= 0.75) & (freqs <= 2.5)
    expected = 60 * freqs[band][np.argmax(power[band])]
    assert hr_fft(x, FS, interpolate=False) == pytest.approx(expected)
    assert abs(hr_fft(x, FS) - 74.04) < 0.2  # interpolation leaves the coarse grid


def test_hr_fft_batch_equals_rows_and_shapes():
    t = np.arange(600) / FS
    x = np.stack([np.sin(2 * np.pi * f * t) for f in (1.0, 1.5, 2.0)])
    hr = hr_fft(x, FS)
    assert hr.shape == (3,)
    np.testing.assert_allclose(hr, [hr_fft(r, FS) for r in x])
    np.testing.assert_allclose(hr, [60, 90, 120], atol=0.2)
    assert isinstance(hr_fft(x[0], FS), float)


def test_hr_fft_flat_signal_is_nan_with_warning():
    with pytest.warns(EstimationWarning, match="flat"):
        assert np.isnan(hr_fft(np.full(300, 4.0), FS))


def test_hr_fft_peak_outside_band_is_nan_not_band_edge():
    t = np.arange(600) / FS
    x = t**2  # drift, no pulse
    with pytest.warns(EstimationWarning, match="outside the band"):
        assert np.isnan(hr_fft(x, FS))
    x = np.sin(2 * np.pi * 2.55 * t)  # 153 bpm: its main lobe spills over the upper edge
    with pytest.warns(EstimationWarning, match="outside the band"):
        assert np.isnan(hr_fft(x, FS, band=(0.75, 2.5)))
    x = np.sin(2 * np.pi * 3.05 * t)  # 183 bpm, above the default band's 180
    with pytest.warns(EstimationWarning, match="outside the band"):
        assert np.isnan(hr_fft(x, FS))


def test_hr_fft_mixed_batch_warns_once_and_keeps_good_rows():
    t = np.arange(600) / FS
    x = np.stack([np.sin(2 * np.pi * 1.2 * t), np.zeros(600)])
    with pytest.warns(EstimationWarning, match="1 of 2 signals"):
        hr = hr_fft(x, FS)
    assert abs(hr[0] - 72) < 0.2 and np.isnan(hr[1])


@pytest.mark.parametrize("hr_true", [48.0, 66.0, 90.0, 131.0])
def test_hr_peaks_recovers_beat_train(hr_true):
    # Mean inter-beat interval of detected peaks: within one sample over the clip's beats.
    simple = _pulse_train(hr_true, 30, FS, notch=False)
    assert abs(hr_peaks(simple, FS) - hr_true) < hr_true**2 / (60 * FS * 25)
    # With a dicrotic wave, the band-passed chain still counts one peak per beat, and the
    # spectral peak is the fundamental even at 48 bpm (rPPG-Toolbox's chain, whose order-1
    # band-pass halves the fundamental near its 45 bpm edge, reads this pulse at 96).
    x = _pulse_train(hr_true, 30, FS)
    assert abs(estimate_hr(x, FS, method="peaks") - hr_true) < 1.0
    assert abs(estimate_hr(x, FS, method="fft") - hr_true) < 1.0
    if hr_true == 48.0:
        toolbox = estimate_hr(x, FS, band=(0.75, 2.5), chain="toolbox")
        assert abs(toolbox - 2 * hr_true) < 1.0


def test_hr_peaks_too_few_peaks_is_nan():
    with pytest.warns(EstimationWarning, match="fewer than two"):
        assert np.isnan(hr_peaks(np.r_[np.zeros(20), 1.0, np.zeros(20)], FS))


def test_estimate_hr_with_trend_and_noise():
    rng = np.random.default_rng(0)
    t = np.arange(int(30 * FS)) / FS
    x = np.sin(2 * np.pi * 1.3 * t) + 2.0 * t / 30 + 0.3 * rng.standard_normal(t.size)
    assert abs(estimate_hr(x, FS) - 78.0) < 1.0


def test_estimate_hr_flat_input_warns():
    with pytest.warns(EstimationWarning):
        assert np.isnan(estimate_hr(np.ones(300), FS))


def test_hr_windowed_tracks_step_change():
    t = np.arange(int(60 * FS)) / FS
    f = np.where(t < 30, 1.0, 1.5)
    x = np.sin(2 * np.pi * np.cumsum(f) / FS)
    times, hr = hr_windowed(x, FS, window=10, step=2)
    assert times[0] == pytest.approx(5.0) and times[-1] <= 55.0
    np.testing.assert_allclose(hr[times <= 24], 60, atol=0.5)
    np.testing.assert_allclose(hr[times >= 36], 90, atol=0.5)
    times2, hr2 = hr_windowed(np.stack([x, x]), FS, window=10, step=2)
    np.testing.assert_array_equal(times2, times)
    assert hr2.shape == (2, times.size)


def test_snr_closed_form():
    t = np.arange(int(60 * FS)) / FS
    pulse = np.sin(2 * np.pi * 1.2 * t)
    # An equal-power tone in band, far from HR and 2 x HR, makes signal = noise: 0 dB.
    x = pulse + np.sin(2 * np.pi * 1.8 * t)
    assert snr(x, 72.0, FS) == pytest.approx(0.0, abs=0.5)
    # Second harmonic counts as signal.
    x2 = pulse + np.sin(2 * np.pi * 2.4 * t) + np.sin(2 * np.pi * 1.8 * t)
    assert snr(x2, 72.0, FS) == pytest.approx(10 * np.log10(2), abs=0.5)


def test_snr_falls_as_noise_rises():
    rng = np.random.default_rng(1)
    t = np.arange(int(30 * FS)) / FS
    clean = np.sin(2 * np.pi * 1.2 * t)
    noise = rng.standard_normal(t.size)
    b, a = sps.butter(2, [0.75, 2.5], btype="bandpass", fs=FS)
    noise = sps.filtfilt(b, a, noise)
    values = [snr(clean + s * noise, 72.0, FS) for s in (0.1, 0.3, 1.0, 3.0)]
    assert all(np.diff(values) < 0)
    rows = np.stack([clean + 0.1 * noise, clean + 3.0 * noise])
    np.testing.assert_allclose(snr(rows, [72.0, 72.0], FS), [values[0], values[-1]])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: hr_fft(np.ones((2, 2, 300)), FS), r"shape \(T,\) or \(n_signals, T\)"),
        (lambda: hr_fft(np.ones(300), -1.0), "fs must be a positive"),
        (lambda: hr_fft(np.ones(300), FS, nfft=10), "nfft must be an integer >="),
        (lambda: hr_fft(np.ones(3), FS), "too short"),
        (lambda: hr_windowed(np.ones(300), FS, window=20), "window must span"),
        (lambda: hr_windowed(np.ones(300), FS, step=0), "step must be at least one sample"),
        (lambda: estimate_hr(np.ones(300), FS, method="wavelet"), "method must be one of"),
        (lambda: snr(np.ones((2, 300)), [70.0], FS), r"hr must be a scalar or have shape \(2,\)"),
        (lambda: snr(np.ones(300), -70.0, FS), "positive finite heart rates"),
        (lambda: snr(np.ones(300), 70.0, FS, deviation=0), "deviation must be"),
    ],
)
def test_bad_input_errors(call, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        with pytest.raises(ValueError, match=match):
            call()


def test_no_band_edge_number_from_leakage_or_round_off():
    t = np.arange(900) / FS
    slow = np.sin(2 * np.pi * 0.2 * t)  # all variation far below the band
    with pytest.warns(EstimationWarning, match="outside the band"):
        assert np.isnan(hr_fft(slow, FS))  # its side lobes in the band are not a peak
    with pytest.warns(EstimationWarning, match="nothing is left in the band"):
        assert np.isnan(estimate_hr(3.0 + 0.5 * t, FS))  # a pure linear trend
    # One constant row in a batch: NaN for it, the others estimated.
    batch = np.stack([np.sin(2 * np.pi * 1.2 * t), np.full(900, 7.0)])
    with pytest.warns(EstimationWarning, match="1 of 2 signals"):
        hr = estimate_hr(batch, FS)
    assert abs(hr[0] - 72) < 0.5 and np.isnan(hr[1])


def test_dc_offset_does_not_leak_into_band():
    t = np.arange(300) / FS
    x = 200.0 + 0.05 * np.sin(2 * np.pi * 1.4 * t)
    assert abs(hr_fft(x, FS) - 84) < 0.5
