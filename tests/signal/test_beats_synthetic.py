"""Beats, HRV and respiration from synthetic face videos whose beats and breathing are known.

``make_synthetic_rppg`` returns the true beat times (``beat_times``: the beat feet of its
pulse model) and breathing rate (``breathing_rate``, Hz) of every video. The systolic
peaks that ``detect_beats`` finds follow each foot by a fixed share of the beat; that
offset is taken per video as the median delay and the beats are then matched one to one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lqrppg.baselines import POS
from lqrppg.datasets import make_synthetic_rppg
from lqrppg.exceptions import EstimationWarning
from lqrppg.signal import detect_beats, hrv, respiration_rate

N_VIDEOS = 6
DURATION = 60.0


@pytest.fixture(scope="module")
def videos():
    data = make_synthetic_rppg(
        n_subjects=N_VIDEOS,
        duration=DURATION,
        frame_size=(64, 64),
        motion="mild",
        illumination="mild",
        random_state=0,
    )
    # POS on the mean colour of the skin (the region a face crop gives), as a pipeline would.
    traces = np.stack(
        [v[:, m].mean(axis=1) for v, m in zip(data.videos, data.skin_mask, strict=True)]
    )
    data.pos = POS(fs=data.fs).predict(traces)
    return data


def _truth_hrv(feet):
    ibi = 1000 * np.diff(feet)
    return ibi.mean(), ibi.std(ddof=1), np.sqrt(np.mean(np.diff(ibi) ** 2))


def _matched(beats, feet, window=0.1):
    """For each true beat (foot) inside the record, whether one detected peak follows it."""
    delay = [t - feet[feet <= t][-1] for t in beats.times if np.any(feet <= t)]
    offset = np.median(delay)
    return np.array([np.sum(np.abs(beats.times - offset - f) < window) == 1 for f in feet[1:-1]])


def _analyse(wave, fs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        beats = detect_beats(wave, fs)
        return beats, hrv(beats), respiration_rate(wave, fs, beats=beats)


def test_clean_pulse_gives_the_true_beats_hrv_and_breathing(videos):
    answered = 0
    for i in range(N_VIDEOS):
        beats, h, resp = _analyse(videos.ppg_clean[i], videos.fs)
        feet = videos.beat_times[i]
        assert np.all(_matched(beats, feet)) and beats.n_flagged == 0
        mean_nn, sdnn, rmssd = _truth_hrv(feet)
        assert h.mean_nn == pytest.approx(mean_nn, abs=0.5)
        # peak-to-peak intervals follow foot-to-foot ones to a few ms (the peak moves with
        # the beat's length): measured within 7 % here
        assert h.sdnn == pytest.approx(sdnn, rel=0.1, abs=1.0)
        assert h.rmssd == pytest.approx(rmssd, rel=0.15, abs=1.0)
        if np.isfinite(resp.value):
            answered += 1
            assert resp.value == pytest.approx(60 * videos.breathing_rate[i], abs=1.0)
    assert answered >= N_VIDEOS - 1


def test_pos_beats_hrv_and_breathing_are_right_or_refused(videos):
    fs = videos.fs
    given = {"mean_nn": 0, "sdnn": 0, "rmssd": 0, "breathing": 0}
    for i in range(N_VIDEOS):
        beats, h, resp = _analyse(videos.pos[i], fs)
        feet = videos.beat_times[i]
        truth_nn, truth_sdnn, truth_rmssd = _truth_hrv(feet)
        if np.isfinite(h.mean_nn):
            # an accepted beat sequence (at most 20 % flagged) holds the true beats, and its
            # errors show as flags: no more beats are missed or misplaced than flagged
            given["mean_nn"] += 1
            missed = 1 - np.mean(_matched(beats, feet))
            assert missed <= min(0.1, beats.n_flagged / beats.ibi.size)
            assert h.mean_nn == pytest.approx(truth_nn, abs=5.0)
        else:
            assert beats.n_flagged > 0.2 * beats.ibi.size
        # What is given is within what the refusal rule allows (at most 41 % or 2 ms
        # above the noise-free value) plus the foot-to-peak difference; the rest refused.
        if np.isfinite(h.sdnn):
            given["sdnn"] += 1
            assert 0.8 * truth_sdnn - 1 < h.sdnn < 1.5 * truth_sdnn + 2
        if np.isfinite(h.rmssd):
            given["rmssd"] += 1
            assert 0.8 * truth_rmssd - 1 < h.rmssd < 1.5 * truth_rmssd + 2
        else:
            assert "rmssd" in h.reasons
        if np.isfinite(resp.value):
            given["breathing"] += 1
            assert resp.value == pytest.approx(60 * videos.breathing_rate[i], abs=2.0)
        else:
            assert resp.reason
    # The mean interval is given for most videos; the synthetic HRV (RMSSD 5-20 ms) is
    # below what 30 frames/s rPPG resolves, so SDNN/RMSSD are mostly refused.
    assert given["mean_nn"] >= N_VIDEOS - 2
