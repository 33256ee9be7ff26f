"""HRV statistics against their published definitions on constructed interval series."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lqrppg.exceptions import EstimationWarning
from lqrppg.signal import HRV, MIN_LF_DURATION, detect_beats, hrv


@settings(max_examples=40, deadline=None)
@given(ibi=st.floats(0.3, 1.9), n=st.integers(10, 300))
def test_constant_intervals_have_no_variability(ibi, n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)  # LF/HF of short series
        h = hrv(np.full(n, ibi))
    assert h.mean_nn == pytest.approx(1000 * ibi)
    assert h.mean_hr == pytest.approx(60 / ibi)
    assert h.sdnn == pytest.approx(0.0, abs=1e-9)
    assert h.rmssd == pytest.approx(0.0, abs=1e-9)
    assert h.pnn50 == 0.0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(12, 200), spread=st.floats(0.0, 0.06))
def test_time_domain_statistics_follow_their_definitions(seed, n, spread):
    rng = np.random.default_rng(seed)
    ibi = 0.8 + spread * rng.uniform(-1, 1, n)  # within 8 % of 800 ms: all normal
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        h = hrv(ibi)
    ms = 1000 * ibi
    d = np.diff(ms)
    assert h.n_nn == n and h.n_pairs == n - 1
    assert h.mean_nn == pytest.approx(ms.mean())
    assert h.sdnn == pytest.approx(np.std(ms, ddof=1))
    assert h.rmssd == pytest.approx(np.sqrt(np.mean(d**2)))
    assert h.pnn50 == pytest.approx(100 * np.mean(np.abs(d) > 50))


def test_flagged_intervals_are_left_out_of_every_statistic():
    ibi = np.array([0.80, 0.82, 0.80, 0.78, 0.80, 0.50, 1.10, 0.80, 0.82, 0.80, 0.78, 0.80, 0.81])
    with pytest.warns(EstimationWarning, match="LF/HF"):
        h = hrv(ibi, min_intervals=5, max_flagged=0.3)
    keep = np.r_[0:5, 7:13]
    ms = 1000 * ibi
    assert h.n_intervals == 13 and h.n_nn == 11
    assert h.mean_nn == pytest.approx(ms[keep].mean())
    assert h.sdnn == pytest.approx(ms[keep].std(ddof=1))
    # successive differences only within runs of NN intervals: 4 + 5 pairs
    pairs = np.r_[np.diff(ms[0:5]), np.diff(ms[7:13])]
    assert h.n_pairs == 9
    assert h.rmssd == pytest.approx(np.sqrt(np.mean(pairs**2)))


def test_too_many_flagged_intervals_refuse_everything():
    ibi = np.tile([0.8, 0.8, 0.8, 0.4], 10)  # every fourth interval is ectopic: 25 %
    with pytest.warns(EstimationWarning, match="not reliable"):
        h = hrv(ibi)
    assert np.isnan(h.mean_nn) and np.isnan(h.rmssd) and "mean_nn" in h.reasons


def test_too_few_intervals():
    with pytest.warns(EstimationWarning, match="only 5 NN"):
        h = hrv(np.full(5, 0.8))
    assert np.isnan(h.sdnn)


def test_lf_hf_needs_the_stated_minimum_and_finds_the_band():
    def series(f_mod, duration):
        t, out = 0.0, []
        while t < duration:
            ibi = 0.8 + 0.04 * np.sin(2 * np.pi * f_mod * t)
            out.append(ibi)
            t += ibi
        return np.array(out)

    with pytest.warns(EstimationWarning, match=f"at least {MIN_LF_DURATION:g} s"):
        short = hrv(series(0.1, MIN_LF_DURATION - 10))
    assert np.isnan(short.lf_hf) and not np.isnan(short.rmssd)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimationWarning)
        slow = hrv(series(0.1, 300.0))  # modulation at 0.1 Hz: LF
        fast = hrv(series(0.25, 300.0))  # at 0.25 Hz: HF (respiratory sinus arrhythmia)
    assert slow.lf_hf > 20 and fast.lf_hf < 0.05
    # the spectrum integrates to the variance: the modulation's power 0.5 * 40 ms^2
    assert slow.lf == pytest.approx(800.0, rel=0.1)
    assert fast.hf == pytest.approx(800.0, rel=0.1)


def test_timing_noise_refuses_rmssd_it_would_dominate(harmonic_pulse):
    fs = 30.0
    x, _ = harmonic_pulse(75.0, fs, 60.0)
    rng = np.random.default_rng(0)
    clean = detect_beats(x, fs)
    with pytest.warns(EstimationWarning, match="LF/HF"):
        h_clean = hrv(clean)
    assert h_clean.rmssd < 1.0 and h_clean.timing_noise < 1.0
    noisy = detect_beats(x + 0.08 * rng.standard_normal(x.size), fs)
    with pytest.warns(EstimationWarning, match="timing noise"):
        h = hrv(noisy)
    # a periodic pulse: any RMSSD measured is noise, and it is refused
    assert h.timing_noise > 3.0
    assert np.isnan(h.rmssd) and np.isnan(h.pnn50) and "rmssd" in h.reasons
    assert h.mean_nn == pytest.approx(800.0, abs=2.0)


def test_result_as_dict_and_bad_input():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        h = hrv(np.full(20, 0.75))
    assert isinstance(h, HRV)
    d = h.as_dict()
    assert d["mean_nn"] == pytest.approx(750.0) and "lf_hf" in d["reasons"]
    with pytest.raises(ValueError, match="1-D"):
        hrv(np.ones((3, 3)))
    with pytest.raises(ValueError, match="no intervals"):
        hrv([])
    with pytest.raises(ValueError, match="positive finite"):
        hrv([0.8, np.nan, 0.8])
    with pytest.raises(ValueError, match="max_noise_share"):
        hrv(np.full(20, 0.75), max_noise_share=0.0)
    with pytest.raises(ValueError, match="min_intervals"):
        hrv(np.full(20, 0.75), min_intervals=1)
