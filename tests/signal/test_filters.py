"""Detrending, band-pass filtering and normalisation against independent references."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal as sps

from lqrppg.signal import bandpass, detrend, diff_normalize, standardize

FS = 30.0


def _dense_detrend(x, lam):
    """Textbook smoothness-priors detrend with dense matrices (Tarvainen et al. 2002)."""
    n = x.size
    d2 = np.zeros((n - 2, n))
    for i in range(n - 2):
        d2[i, i : i + 3] = [1.0, -2.0, 1.0]
    eye = np.eye(n)
    return (eye - np.linalg.inv(eye + lam**2 * d2.T @ d2)) @ x


@pytest.mark.parametrize("lam", [1.0, 10.0, 100.0])
def test_detrend_matches_dense_formula(lam):
    x = np.random.default_rng(0).standard_normal(120).cumsum()
    np.testing.assert_allclose(detrend(x, lam=lam), _dense_detrend(x, lam), atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(3, 2000),
    a=st.floats(-1e3, 1e3),
    b=st.floats(-10, 10),
)
def test_detrend_removes_linear_trend_exactly(n, a, b):
    t = np.arange(n, dtype=float)
    x = a + b * t
    np.testing.assert_allclose(detrend(x), 0.0, atol=1e-7 * (1 + abs(a) + abs(b) * n))


@settings(max_examples=25, deadline=None)
@given(
    coeffs=st.lists(st.floats(-3, 3), min_size=3, max_size=4),
    f=st.floats(0.8, 2.4),
)
def test_detrend_removes_polynomial_trend_keeps_pulse(coeffs, f):
    t = np.arange(int(30 * FS)) / FS
    u = t / t[-1]
    trend = np.polyval(coeffs, u) * 10
    pulse = np.sin(2 * np.pi * f * t)
    out = detrend(trend + pulse)
    core = slice(60, -60)  # the smoother's edges carry a short transient
    np.testing.assert_allclose(out[core], pulse[core], atol=0.12)


def test_detrend_short_signals_are_all_trend():
    np.testing.assert_array_equal(detrend([3.0, 5.0]), [0.0, 0.0])
    np.testing.assert_array_equal(detrend([[1.0], [2.0]]), [[0.0], [0.0]])


def test_detrend_batch_equals_rows():
    x = np.random.default_rng(1).standard_normal((3, 200)).cumsum(axis=1)
    np.testing.assert_allclose(detrend(x), np.stack([detrend(r) for r in x]), atol=1e-12)


def test_detrend_memory_is_linear_in_length():
    # A dense 18000 x 18000 float64 matrix alone would take 2.6 GB.
    x = np.random.default_rng(2).standard_normal(10 * 60 * 30)
    tracemalloc.start()
    detrend(x)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20e6


def test_bandpass_equals_filtfilt_reference():
    x = np.random.default_rng(3).standard_normal((2, 500))
    b, a = sps.butter(1, [0.75, 2.5], btype="bandpass", fs=FS)
    np.testing.assert_allclose(bandpass(x, FS), sps.filtfilt(b, a, x, axis=-1), atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(f=st.floats(1.1, 1.7), phase=st.floats(0, 2 * np.pi), order=st.integers(1, 3))
def test_bandpass_keeps_in_band_sinusoid(f, phase, order):
    t = np.arange(int(40 * FS)) / FS
    x = np.sin(2 * np.pi * f * t + phase)
    y = bandpass(x, FS, band=(0.75, 2.5), order=order)
    core = slice(150, -150)
    # Zero phase: no lag, and the mid-band gain (squared by forward-backward) is near 1.
    np.testing.assert_allclose(y[core], x[core], atol=0.25)
    lag = np.argmax(np.correlate(y[core], x[core], mode="full")) - (x[core].size - 1)
    assert lag == 0


def test_bandpass_attenuates_out_of_band():
    t = np.arange(int(40 * FS)) / FS
    for f in (0.1, 8.0):
        y = bandpass(np.sin(2 * np.pi * f * t), FS)
        assert np.std(y[150:-150]) < 0.15 * np.std(np.sin(2 * np.pi * f * t))


def test_standardize_and_diff_normalize_references():
    x = np.random.default_rng(4).standard_normal((2, 50)) * 3 + 7
    z = standardize(x)
    np.testing.assert_allclose(z, (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True))
    d = np.diff(x, axis=1)
    expected = np.concatenate([d / d.std(1, keepdims=True), np.zeros((2, 1))], axis=1)
    np.testing.assert_allclose(diff_normalize(x), expected)


def test_inputs_not_mutated_and_readonly_accepted():
    x = np.random.default_rng(5).standard_normal((2, 300))
    x.setflags(write=False)
    before = x.copy()
    for fn in (detrend, standardize, diff_normalize, lambda v: bandpass(v, FS)):
        out = fn(x)
        assert out is not x
        np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: detrend(np.zeros((2, 3, 4))), r"shape \(T,\) or \(n_signals, T\)"),
        (lambda: detrend([1.0, np.nan, 2.0]), "NaN or infinite"),
        (lambda: detrend(["a", "b", "c"]), "real numbers"),
        (lambda: detrend(np.ones(10), lam=0), "lam must be a positive"),
        (lambda: detrend(np.ones((0, 10))), "no signals"),
        (lambda: bandpass(np.ones(100), fs=0), "fs must be a positive"),
        (lambda: bandpass(np.ones(100), fs=30, band=(2.5, 0.75)), "0 < low < high"),
        (lambda: bandpass(np.ones(100), fs=4, band=(0.75, 2.5)), r"fs/2 = 2 Hz"),
        (lambda: bandpass(np.ones(100), fs=30, band=1.0), "pair"),
        (lambda: bandpass(np.ones(100), fs=30, order=0), "order must be a positive"),
        (lambda: bandpass(np.ones(9), fs=30), "too short: T=9"),
        (lambda: standardize(np.ones((2, 10))), "constant"),
        (lambda: diff_normalize(np.arange(10.0)), "constant"),
    ],
)
def test_bad_input_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_filter_pulse_is_estimate_hrs_detrend_then_bandpass():
    from lqrppg.signal import filter_pulse

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 600)).cumsum(axis=1)
    for fs in (30.0, 60.0):
        # rPPG-Toolbox: lambda 100 at 30 Hz (same cut-off at any rate), pass band = HR band.
        ref = bandpass(detrend(x, lam=100.0 * (fs / 30.0) ** 2), fs, band=(0.7, 3.0), order=2)
        out = filter_pulse(x, fs, band=(0.7, 3.0), order=2, chain="toolbox")
        np.testing.assert_array_equal(out, ref)
        # Robust: an octave higher at the top (capped halfway to Nyquist), the same bottom,
        # and a detrender whose half-amplitude cut-off fs / (2 pi sqrt(lambda)) is 0.35 Hz.
        lam = (fs / (2 * np.pi * 0.35)) ** 2
        ref = bandpass(detrend(x, lam=lam), fs, band=(0.7, min(6.0, (3.0 + fs / 2) / 2)), order=2)
        np.testing.assert_allclose(filter_pulse(x, fs, band=(0.7, 3.0), order=2), ref)
    np.testing.assert_array_equal(
        filter_pulse(x, 30.0, detrend_lambda=None, chain="toolbox", band=(0.75, 2.5)),
        bandpass(x, 30.0),
    )
    with pytest.raises(ValueError, match="detrend_lambda must be a positive number, 'auto'"):
        filter_pulse(x, 30.0, detrend_lambda="smooth")
    with pytest.raises(ValueError, match="chain must be one of"):
        filter_pulse(x, 30.0, chain="fast")


def test_chain_gain_is_the_measured_gain_of_the_filtering():
    """chain_gain (used to undo the filter's tilt in the harmonic check) vs a measurement."""
    from lqrppg.signal import HR_BAND, filter_pulse
    from lqrppg.signal._filters import chain_gain, chain_lambda, chain_pass_band

    for fs in (15.0, 30.0):
        t = np.arange(int(200 * fs)) / fs
        lam = chain_lambda("auto", HR_BAND, fs)
        pass_band = chain_pass_band(HR_BAND, fs)
        for f in (0.5, 2 / 3, 1.0, 2.0, 3.0, 5.0):
            y = filter_pulse(np.sin(2 * np.pi * f * t), fs)
            measured = 2 * np.mean(y[600:-600] ** 2)  # power gain of a unit sinusoid
            assert chain_gain([f], fs, pass_band, lam, 1)[0] == pytest.approx(measured, rel=0.02)
        # The robust chain passes harmonics above the band (its upper edge is an octave
        # higher): at 1.5 times the top rate (the second harmonic of 135 bpm), where
        # rPPG-Toolbox's filter, ending at the band's top, has cut it.
        assert chain_gain([1.5 * HR_BAND[1]], fs, pass_band, lam, 1)[0] > 0.3


@pytest.mark.parametrize("fs", [1e9, 1e12])
def test_extreme_sampling_rates_are_a_clear_error(fs):
    """At 1e9 Hz scipy's filter initial conditions were a singular system (LinAlgError)."""
    from lqrppg.signal import estimate_hr

    x = np.random.default_rng(0).normal(size=3000)
    for func in (bandpass, estimate_hr):
        with pytest.raises(ValueError, match="too high for a band-pass"):
            func(x, fs)
    with pytest.raises(ValueError, match=r"0 < low < high < fs/2"):
        bandpass(x, 0.5)  # the band above the Nyquist rate
    np.testing.assert_array_equal(np.isfinite(bandpass(x, 1e6)), True)  # still filtered
