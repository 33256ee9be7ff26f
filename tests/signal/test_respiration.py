"""Respiration rate from closed-form pulses modulated by a known breathing rate."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lqrppg.exceptions import EstimationWarning
from lqrppg.signal import Respiration, detect_beats, respiration_rate


def _breathing_pulse(hr, br, fs, duration, *, am=0.2, bw=0.2, fm=0.03, seed=0):
    """A pulse whose amplitude, baseline and beat rate are modulated at ``br`` breaths/min."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(duration * fs)) / fs
    f_b = br / 60.0
    breath = np.sin(2 * np.pi * f_b * t + rng.uniform(0, 2 * np.pi))
    phase = hr / 60.0 * t + fm * np.cumsum(breath) / fs * hr / 60.0
    u = phase % 1.0
    beat = np.exp(-(((u - 0.25) / 0.07) ** 2)) + 0.3 * np.exp(-(((u - 0.6) / 0.08) ** 2))
    return (1 + am * breath) * beat + bw * breath


@settings(max_examples=30, deadline=None)
@given(
    hr=st.floats(50.0, 150.0),
    br=st.floats(8.0, 30.0),
    fs=st.sampled_from([30.0, 125.0]),
    seed=st.integers(0, 1000),
)
def test_recovers_the_breathing_rate(hr, br, fs, seed):
    # the beat series must carry breathing: below half the heart rate
    br = min(br, 0.4 * hr)
    x = _breathing_pulse(hr, br, fs, 60.0, seed=seed)
    est = respiration_rate(x, fs)
    assert est.reason == ""
    assert est.value == pytest.approx(br, abs=0.5)
    assert all(c["used"] for c in est.components.values())
    assert 0.5 < est.quality <= 1.0


def test_disagreeing_modulations_give_no_number():
    fs, t = 30.0, np.arange(1800) / 30.0
    # amplitude at 12/min, baseline and rate at 24/min: a conflict, not an average
    u = (1.25 * t + 0.03 * np.cumsum(np.sin(2 * np.pi * 0.4 * t)) / fs * 1.25) % 1.0
    beat = np.exp(-(((u - 0.25) / 0.07) ** 2))
    x = (1 + 0.3 * np.sin(2 * np.pi * 0.2 * t)) * beat + 0.02 * np.sin(2 * np.pi * 0.4 * t)
    with pytest.warns(EstimationWarning, match="disagree"):
        est = respiration_rate(x, fs)
    assert np.isnan(est.value)


def test_noise_without_breathing_gives_no_number():
    rng = np.random.default_rng(3)
    x = _breathing_pulse(70.0, 15.0, 30.0, 60.0, am=0.0, bw=0.0, fm=0.0)
    x = x + 0.02 * rng.standard_normal(x.size)
    with pytest.warns(EstimationWarning, match="respiration rate not estimated"):
        est = respiration_rate(x, 30.0)
    assert np.isnan(est.value) and est.reason


def test_too_short_and_too_slow():
    x = _breathing_pulse(70.0, 15.0, 30.0, 20.0)
    with pytest.warns(EstimationWarning, match="30 s are needed"):
        assert np.isnan(respiration_rate(x, 30.0).value)
    # a wider band's lower edge asks for more: 3 cycles at 0.05 Hz
    x = _breathing_pulse(70.0, 15.0, 30.0, 45.0)
    with pytest.warns(EstimationWarning, match="60 s are needed"):
        respiration_rate(x, 30.0, band=(0.05, 0.7))


def test_precomputed_beats_are_used_and_checked():
    x = _breathing_pulse(70.0, 15.0, 30.0, 60.0)
    beats = detect_beats(x, 30.0)
    est = respiration_rate(x, 30.0, beats=beats)
    assert isinstance(est, Respiration)
    assert est.value == pytest.approx(respiration_rate(x, 30.0).value)
    assert est.as_dict()["components"]["rate"]["used"]
    with pytest.raises(ValueError, match="another signal"):
        respiration_rate(x[:1500], 30.0, beats=beats)
    with pytest.raises(ValueError, match="Beats"):
        respiration_rate(x, 30.0, beats=[1, 2])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"band": (0.0, 0.7)}, "positive lower edge"),
        ({"band": (0.5, 0.2)}, "band must"),
        ({"min_concentration": 0.0}, "min_concentration"),
        ({"max_spread": -1}, "max_spread"),
        ({"min_agree": 4}, "min_agree"),
        ({"max_flagged": 2}, "max_flagged"),
    ],
)
def test_bad_parameters(kwargs, match):
    x = _breathing_pulse(70.0, 15.0, 30.0, 40.0)
    with warnings.catch_warnings(), pytest.raises(ValueError, match=match):
        warnings.simplefilter("ignore", EstimationWarning)
        respiration_rate(x, 30.0, **kwargs)
