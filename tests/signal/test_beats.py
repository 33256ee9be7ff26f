"""Beat detection against closed-form pulses with known peak times."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lqrppg.exceptions import EstimationWarning
from lqrppg.signal import Beats, classify_intervals, detect_beats

EDGE = 1.5  # s at each end where a filter transient may add a flagged partial beat


def _interior(times, duration):
    return times[(times > EDGE) & (times < duration - EDGE)]


@settings(max_examples=50, deadline=None)
@given(
    hr=st.floats(40.0, 180.0),
    fs=st.sampled_from([25.0, 30.0, 60.0, 125.0, 250.0]),
    duration=st.floats(12.0, 40.0),
    dicrotic=st.floats(0.0, 0.6),
    delay=st.floats(0.25, 0.4),
    phase0=st.floats(0.0, 1.0),
)
def test_finds_exactly_the_beats_of_a_pulse_with_a_dicrotic_wave(
    harmonic_pulse, hr, fs, duration, dicrotic, delay, phase0
):
    x, truth = harmonic_pulse(hr, fs, duration, dicrotic=dicrotic, delay=delay, phase0=phase0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        beats = detect_beats(x, fs)
    # a fifth of a sample (spline interpolation), plus 2 ms for the change of shape by the
    # band-pass, which moves the peak of a skewed beat: 10 ms at 25 Hz, 3.6 ms at 125 Hz
    tol = 0.2 / fs + 0.002
    # every beat is found, at its peak ...
    for t in _interior(truth, duration):
        assert np.min(np.abs(beats.times - t)) < tol
    # ... and nothing else (the dicrotic wave above all), away from the ends
    for t in beats.times[(beats.times > EDGE + 0.2) & (beats.times < duration - EDGE - 0.2)]:
        assert np.min(np.abs(truth - t)) < tol
    # a periodic pulse has no abnormal interval away from the ends
    interior_ibi = (beats.times[:-1] > EDGE) & (beats.times[1:] < duration - EDGE)
    assert np.all(beats.ibi_quality[interior_ibi] == "normal")


def test_result_fields_are_consistent(harmonic_pulse):
    x, _ = harmonic_pulse(72.0, 30.0, 30.0)
    beats = detect_beats(x, 30.0)
    assert isinstance(beats, Beats)
    n = beats.n_beats
    assert beats.ibi.shape == (n - 1,) and beats.quality.shape == (n,)
    np.testing.assert_allclose(beats.ibi, np.diff(beats.times))
    assert np.all(beats.onsets[1:] < beats.times[1:])
    assert np.all(beats.upstrokes < beats.times)
    assert np.all(beats.onsets[1:] > beats.times[:-1])
    assert np.nanmin(beats.amplitudes) > 0
    assert beats.duration == pytest.approx(30.0) and beats.fs == 30.0
    assert beats.band == (0.5, 8.0)
    assert beats.timing_noise < 1e-3  # a noise-free pulse: the peak-upstroke delay is fixed
    assert "n_beats=" in repr(beats)


def test_sub_sample_timing_beats_the_sample_grid(harmonic_pulse):
    # At 30 Hz a sample is 33 ms: integer peak positions would give IBI errors of that size.
    x, truth = harmonic_pulse(67.3, 30.0, 60.0, dicrotic=0.3)
    beats = detect_beats(x, 30.0)
    inner = _interior(beats.times, 60.0)
    ref = _interior(truth, 60.0)
    assert np.max(np.abs(inner - ref)) < 0.002
    assert np.std(np.diff(inner)) < 0.001


def test_premature_beat_is_flagged_not_dropped(harmonic_pulse):
    fs, period = 100.0, 0.8
    x, truth = harmonic_pulse(60.0 / period, fs, 30.0, dicrotic=0.2)
    # Move one beat 35 % of a period earlier: a premature beat and its compensatory pause.
    t = np.arange(x.size) / fs
    k = np.argmin(np.abs(truth - 15.0))
    shifted, _ = harmonic_pulse(60.0 / period, fs, 30.0, dicrotic=0.2, phase0=0.35)
    one = (t > truth[k] - 0.35 * period - 0.3) & (t < truth[k] + 0.3)
    window = np.hanning(one.sum())
    x = x.copy()
    x[one] = (1 - window) * x[one] + window * shifted[one]
    beats = detect_beats(x, fs)
    early = np.argmin(np.abs(beats.times - (truth[k] - 0.35 * period)))
    assert abs(beats.times[early] - (truth[k] - 0.35 * period)) < 0.02
    assert beats.quality[early] == "ectopic"
    assert beats.ibi_quality[early - 1] == "ectopic" and beats.ibi_quality[early] == "ectopic"
    assert beats.n_flagged == 2  # only the two intervals around it


def test_missing_beat_leaves_a_flagged_long_interval(harmonic_pulse):
    fs = 50.0
    x, truth = harmonic_pulse(75.0, fs, 30.0)
    t = np.arange(x.size) / fs
    k = np.argmin(np.abs(truth - 15.0))
    gap = (t > truth[k] - 0.45) & (t < truth[k] + 0.35)
    x = x.copy()
    x[gap] = np.interp(t[gap], t[~gap], x[~gap])  # one beat flattened away
    beats = detect_beats(x, fs)
    long = np.flatnonzero(beats.ibi > 1.5 * 0.8)
    assert long.size == 1
    assert beats.ibi_quality[long[0]] == "ectopic"
    assert beats.ibi[long[0]] == pytest.approx(1.6, abs=0.02)


def test_implausible_interval():
    ibi = np.r_[np.full(10, 0.8), 2.5, np.full(10, 0.8)]  # 24 bpm: outside 30-220
    q = classify_intervals(ibi)
    assert q[10] == "implausible" and np.all(np.delete(q, 10) == "normal")
    assert classify_intervals(ibi, hr_range=(20.0, 220.0))[10] == "ectopic"


def test_classify_intervals_rule():
    ibi = np.full(21, 1.0)
    ibi[10] = 1.24
    assert classify_intervals(ibi)[10] == "normal"
    ibi[10] = 1.26
    assert classify_intervals(ibi)[10] == "ectopic"
    assert classify_intervals(ibi, max_deviation=0.3)[10] == "normal"


def test_orientation_matters_and_is_documented(harmonic_pulse):
    # The detector wants peaks up; the negated pulse puts the feet where the peaks were.
    x, truth = harmonic_pulse(70.0, 60.0, 30.0, dicrotic=0.0)
    up = _interior(detect_beats(x, 60.0).times, 30.0)
    down = _interior(detect_beats(-x, 60.0).times, 30.0)
    assert np.max(np.abs(up - _interior(truth, 30.0))) < 0.005
    assert np.min(np.abs(down[:, None] - up[None, :])) > 0.1


def test_flat_and_too_few_beats_warn():
    with pytest.warns(EstimationWarning, match="flat"):
        beats = detect_beats(np.ones(300), 30.0)
    assert beats.n_beats == 0 and beats.ibi.size == 0
    t = np.arange(60) / 30.0
    with pytest.warns(EstimationWarning, match="fewer than two"):
        detect_beats(np.exp(-(((t - 1.0) / 0.1) ** 2)), 30.0)


def test_input_is_not_modified(harmonic_pulse):
    x, _ = harmonic_pulse(80.0, 30.0, 20.0)
    x.setflags(write=False)
    detect_beats(x, 30.0)
    detect_beats(list(x), 30.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x": np.ones((2, 300))}, "one waveform"),
        ({"x": np.r_[np.ones(100), np.nan]}, "NaN"),
        ({"fs": 0.0}, "fs must be"),
        ({"band": (0.5, 20.0)}, "band must satisfy"),
        ({"hr_range": (100.0, 50.0)}, "hr_range"),
        ({"refractory": -0.1}, "refractory"),
        ({"refractory": 3.0}, "refractory"),
        ({"max_deviation": 1.5}, "max_deviation"),
    ],
)
def test_bad_input_is_one_clear_error(kwargs, match):
    args = {"x": np.sin(np.arange(300) / 30.0 * 2 * np.pi * 1.2), "fs": 30.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        detect_beats(args.pop("x"), args.pop("fs"), **args)


def test_classify_intervals_rejects_bad_input():
    with pytest.raises(ValueError, match="positive finite"):
        classify_intervals([0.8, -0.1, 0.8])
    with pytest.raises(ValueError, match="1-D"):
        classify_intervals(np.ones((2, 3)))
