"""Failed channels are declined with the reason; Auto uses what is left; HR comes with quality.

Closed-form traces (tests/baselines/conftest.py) with a known pulse; a channel is made dead
(constant) or clipped (a share of its frames at a sensor rail) by hand.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lqrppg.baselines import CHROM, GREEN, ICA, LGI, OMIT, PBV, POS, Auto, channel_problems
from lqrppg.exceptions import EstimationWarning
from lqrppg.signal import HREstimate, filter_pulse

ALL_CHANNELS = (CHROM, POS, LGI, PBV, ICA, OMIT)  # read red, green and blue
FS = 30.0
SKIN = np.array([170.0, 120.0, 95.0])


@pytest.fixture(scope="module")
def trace(make_trace):
    rgb, _ = make_trace(1.3, seconds=20.0, seed=3)  # 78 bpm
    return rgb


def test_channel_problems_names_constant_and_clipped_channels(trace):
    rgb = np.stack([trace] * 4)
    rgb[1, :, 1] = 0.0  # dead green
    rgb[2, :120, 0] = 255.0  # red saturated in 20 % of the frames
    rgb[3, :30, 2] = 0.0  # blue black in 5 % of the frames: still usable
    problems = channel_problems(rgb)
    assert problems[0].tolist() == ["", "", ""]
    assert problems[1, 1] == "the green channel is constant (dead, black or saturated)"
    assert problems[2, 0] == "the red channel is clipped (20 % of the frames at 255)"
    assert problems[3].tolist() == ["", "", ""]
    # Integer video: half the pixels of a channel saturated is clipping, though its mean moves.
    video = np.repeat(np.repeat(trace[None, :, None, None, :], 4, 2), 4, 3).astype(np.uint8)
    video[0, :, :2, :, 0] = 255
    problems = channel_problems(video)[0]
    assert problems[0] == "the red channel is clipped (50 % of its pixel values saturated)"
    assert problems[1:].tolist() == ["", ""]


@pytest.mark.parametrize("cls", ALL_CHANNELS, ids=lambda c: c.__name__)
def test_methods_needing_a_clipped_channel_decline_with_the_reason(cls, trace):
    rgb = np.stack([trace, trace])
    rgb[1, :150, 0] = 255.0
    with pytest.warns(EstimationWarning, match=r"series 1: the red channel is clipped"):
        est = cls(fs=FS).predict_quality(rgb)
    assert isinstance(est, HREstimate)
    assert np.isfinite(est.hr[0]) and abs(est.hr[0] - 78.0) < 1.0
    assert np.isnan(est.hr[1]) and est.confidence[1] == "none"
    assert est.reason[1] == "the red channel is clipped (25 % of the frames at 255)"
    assert est.reason[0] == "" and est.confidence[0] in ("high", "medium")
    with pytest.warns(EstimationWarning, match="clipped"):
        np.testing.assert_array_equal(cls(fs=FS).predict_hr(rgb), est.hr)


def test_green_needs_only_green(trace):
    rgb = trace[None].copy()
    rgb[0, :, 0] = 255.0
    est = GREEN(fs=FS).predict_quality(rgb)
    assert abs(est.hr[0] - 78.0) < 1.0


def test_auto_reads_red_when_green_is_dead_and_says_what_it_chose(trace):
    dead = np.stack([trace, trace])
    dead[1, :, 1] = 0.0
    auto = Auto(fs=FS)
    assert auto.select(dead)[1] in ("red", "blue")
    est = auto.predict_quality(dead)
    assert abs(est.hr[1] - est.hr[0]) < 1.0 and abs(est.hr[1] - 78.0) < 1.0
    cands = auto.predict_candidates(dead)
    assert list(cands) == ["POS", "CHROM", "red", "green", "blue"]
    assert cands["POS"].reason[1] == "the green channel is constant (dead, black or saturated)"
    assert np.isnan(cands["green"].hr[1])
    chosen = auto.select(dead)
    for i, name in enumerate(chosen):  # the choice is the candidate with the highest SNR
        snrs = {c: q.snr[i] for c, q in cands.items() if np.isfinite(q.hr[i])}
        assert name == max(snrs, key=snrs.get)
        assert est.snr[i] == cands[name].snr[i]
    wave = auto.predict(dead)
    np.testing.assert_allclose(wave.mean(axis=1), 0, atol=1e-9)
    np.testing.assert_allclose(wave.std(axis=1), 1, atol=1e-9)


def test_auto_declines_with_every_candidate_s_reason():
    flat = np.full((1, 300, 3), 100.0)
    with pytest.warns(EstimationWarning, match="Auto cannot extract a pulse from series 0"):
        est = Auto(fs=FS).predict_quality(flat)
    assert np.isnan(est.hr[0])
    assert est.reason[0].startswith("no candidate gave an estimate (POS: the red channel")
    assert "blue: the blue channel is constant" in est.reason[0]


def test_auto_output_sign_follows_the_reflected_intensity(trace):
    # CHROM rises with blood volume, the channels fall: Auto flips CHROM so that joined
    # chunks chosen from different candidates do not cancel.
    green = filter_pulse(trace[:, 1], FS)
    for candidates in (("CHROM",), ("green",), ("POS",)):
        wave = Auto(fs=FS, candidates=candidates).predict(trace[None])[0]
        assert np.corrcoef(wave[60:-60], green[60:-60])[0, 1] > 0.8, candidates


@pytest.mark.parametrize(
    ("candidates", "match"),
    [
        ("POS", "candidates must be a sequence"),
        ((), "at least one"),
        (("POS", "POS"), "distinct"),
        (("magenta",), "distinct names from"),
    ],
)
def test_auto_bad_candidates(candidates, match, trace):
    with pytest.raises(ValueError, match=match):
        Auto(candidates=candidates).fit(trace[None])


@pytest.mark.parametrize("seconds", [2.0, 10.0])
def test_auto_on_white_noise_is_rarely_high(seconds):
    """Choosing the best of five candidates raises chance SNRs, but not to 'high'."""
    rng = np.random.default_rng(7)
    noise = SKIN + rng.standard_normal((400, int(seconds * FS), 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        est = Auto(fs=FS).predict_quality(noise)
    assert np.mean(est.confidence == "high") <= 0.05
    assert np.mean(est.reliable()) <= 0.05
