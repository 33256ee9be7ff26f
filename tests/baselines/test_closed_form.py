"""Baselines against closed-form traces whose heart rate and pulse are known exactly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lqrppg.baselines import CHROM, GREEN, ICA, LGI, OMIT, PBV, POS, spatial_mean
from lqrppg.baselines._ica import jade
from lqrppg.exceptions import EstimationWarning
from lqrppg.signal import bandpass, detrend

FS = 30.0
SIGNATURE = np.array([0.33, 0.77, 0.53])
SKIN = np.array([170.0, 120.0, 95.0])
ALL = (GREEN, CHROM, POS, LGI, PBV, ICA, OMIT)
# Sign of each method's output relative to skin brightening along the pulse signature
# (documented in each class): only CHROM is inverted.
SIGN = {GREEN: 1, CHROM: -1, POS: 1, LGI: 1, PBV: 1, ICA: 1, OMIT: 1}
FREQS = (0.8, 1.1, 1.5, 2.0, 2.4)  # 48 to 144 bpm


def _stack(make_trace, **kw):
    pairs = [make_trace(f, seed=i, phase=i, **kw) for i, f in enumerate(FREQS)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


@pytest.fixture(scope="module")
def traces(make_trace):
    """Five traces, 20 s, pulse 0.5 % of the skin colour, drift 3 %, noise 0.1 %."""
    return _stack(make_trace)


@pytest.fixture(scope="module")
def clean_traces(make_trace):
    """As ``traces`` with less sensor noise (0.03 %), for waveform-shape checks."""
    return _stack(make_trace, noise=0.0003)


def _corr(a, b):
    return float(np.corrcoef(a, b)[0, 1])


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_predict_hr_recovers_pulse_rate(cls, traces):
    rgb, _ = traces
    hr = cls().predict_hr(rgb)
    assert hr.shape == (len(FREQS),)
    np.testing.assert_allclose(hr, 60 * np.array(FREQS), atol=1.0)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_waveform_follows_pulse_with_documented_sign(cls, clean_traces):
    rgb, pulse = clean_traces
    wave = cls().predict(rgb)
    assert wave.shape == pulse.shape and wave.dtype == np.float64
    # The evaluation filtering removes the DC level and drift some methods keep; the ends
    # (fade-in/out of the windowed methods, filter transients) are left out.
    clean = bandpass(detrend(wave), FS)
    inner = slice(int(2 * FS), -int(2 * FS))
    for k in range(len(FREQS)):
        assert SIGN[cls] * _corr(clean[k, inner], pulse[k, inner]) > 0.9


@pytest.mark.parametrize("cls", [POS, CHROM], ids=lambda c: c.__name__)
def test_pos_chrom_reject_illumination_drift_without_post_filtering(cls, clean_traces):
    # Both project out the direction of equal relative change in R, G and B, so their raw
    # output follows the pulse although the light intensity drifts by 3 %.
    rgb, pulse = clean_traces
    wave = cls().predict(rgb)
    inner = slice(int(2 * FS), -int(2 * FS))
    for k in range(len(FREQS)):
        assert SIGN[cls] * _corr(wave[k, inner], pulse[k, inner]) > 0.9


@pytest.mark.parametrize("cls", [POS, CHROM, LGI, OMIT], ids=lambda c: c.__name__)
def test_pure_intensity_change_is_invisible(cls):
    # Light that only changes intensity scales R, G, B alike: POS/CHROM (normalised colour
    # orthogonal to (1, 1, 1)) and LGI/OMIT (projection orthogonal to the skin colour) must
    # output (numerically) nothing, whatever the modulation.
    t = np.arange(600) / FS
    intensity = 1 + 0.05 * np.sin(2 * np.pi * 1.3 * t) + 0.1 * t / t[-1]
    rgb = (SKIN * intensity[:, None])[None]
    wave = cls().predict(rgb)
    assert np.max(np.abs(wave)) < 1e-9 * SKIN.max()


def test_green_is_the_green_trace(traces):
    rgb, _ = traces
    np.testing.assert_array_equal(GREEN().predict(rgb), rgb[:, :, 1])


def test_pbv_with_true_signature_returns_the_pulse(make_trace):
    # With p the true signature, S = W^T Cn / (p^T W) and Cn = 1 + a p_raw s(t) give
    # S = const + a |p_raw| s(t): the pulse in absolute units, whatever W is.
    rgb, pulse = make_trace(1.2, drift=0.0, noise=1e-4)
    wave = PBV(signature=SIGNATURE).predict(rgb[None])[0]
    ac = wave - wave.mean()
    expected = 0.005 * np.linalg.norm(SIGNATURE) * pulse
    assert _corr(ac, expected) > 0.99
    assert np.std(ac) == pytest.approx(np.std(expected), rel=0.05)


def test_pbv_estimated_signature_matches_true_one_despite_drift(make_trace):
    # The default estimate reads the pulse's in-band variation, so the 3 % intensity drift
    # does not pull it towards (1, 1, 1): the output matches the true-signature output.
    rgb, _ = make_trace(1.2, noise=1e-4)
    est = PBV().predict(rgb[None])[0]
    fixed = PBV(signature=[0.33, 0.77, 0.53]).predict(rgb[None])[0]
    inner = slice(int(2 * FS), -int(2 * FS))
    assert _corr(bandpass(detrend(est), FS)[inner], bandpass(detrend(fixed), FS)[inner]) > 0.99


def test_pbv_std_signature_is_std_of_normalised_channels(make_trace):
    # Reference for signature="std" (rPPG-Toolbox, pyVHR): the spread of RGB / mean(RGB).
    rgb, _ = make_trace(1.2)
    by_hand = (rgb / rgb.mean(axis=0)).std(axis=0)
    np.testing.assert_allclose(
        PBV(signature="std").predict(rgb[None]),
        PBV(signature=by_hand).predict(rgb[None]),
        rtol=1e-9,
    )


def test_pos_and_chrom_are_scale_invariant(traces):
    rgb, _ = traces
    for cls in (POS, CHROM):
        np.testing.assert_allclose(cls().predict(3.7 * rgb), cls().predict(rgb), atol=1e-12)


def test_lgi_omit_are_scale_equivariant(traces):
    rgb, _ = traces
    for cls in (LGI, OMIT):
        np.testing.assert_allclose(cls().predict(2.0 * rgb), 2.0 * cls().predict(rgb), rtol=1e-10)


def test_omit_projects_out_first_frame_colour(traces):
    # Reference: the projection written out with the first frame's unit colour vector.
    rgb, _ = traces
    c = rgb[0].T
    q = c[:, 0] / np.linalg.norm(c[:, 0])
    expected = (c - np.outer(q, q @ c))[1]
    np.testing.assert_allclose(OMIT().predict(rgb[:1])[0], expected, rtol=1e-9, atol=1e-9)


def test_lgi_projects_out_dominant_direction(traces):
    # Reference: first left singular vector from numpy's SVD of the 3 x T matrix.
    rgb, _ = traces
    c = rgb[0].T
    u = np.linalg.svd(c, full_matrices=False)[0][:, 0]
    expected = (c - np.outer(u, u @ c))[1]
    np.testing.assert_allclose(LGI().predict(rgb[:1])[0], expected, rtol=1e-8, atol=1e-8)


def test_pos_single_window_matches_algorithm_by_hand():
    # With T equal to the window there is one window: H = h of that window, by the formulas.
    rng = np.random.default_rng(3)
    rgb = 100 + rng.random((48, 3))
    cn = rgb / rgb.mean(axis=0)
    s1 = cn[:, 1] - cn[:, 2]
    s2 = -2 * cn[:, 0] + cn[:, 1] + cn[:, 2]
    h = s1 + s1.std() / s2.std() * s2
    np.testing.assert_allclose(POS().predict(rgb[None])[0], h - h.mean(), atol=1e-12)


def test_chrom_single_window_matches_algorithm_by_hand():
    # T = L = 48 frames: a single window, so the output is that window's Hann-tapered
    # S = Xf - alpha Yf. Reference computed with scipy directly.
    from scipy import signal as sps

    rng = np.random.default_rng(4)
    t = np.arange(48) / FS
    rgb = SKIN * (1 + 0.01 * np.outer(np.sin(2 * np.pi * 1.4 * t), SIGNATURE))
    rgb = rgb + 0.3 * rng.standard_normal(rgb.shape)
    cn = rgb / rgb.mean(axis=0)
    # rPPG-Toolbox's chain filters over the HR band itself; the robust chain an octave wider
    # on each side (40-180 bpm -> 20-360 bpm).
    for chain, band, pass_band in (
        ("toolbox", (0.75, 2.5), [0.75, 2.5]),
        ("robust", None, [1 / 3, 6]),
    ):
        sos = sps.butter(3, pass_band, btype="bandpass", fs=FS, output="sos")
        xf = sps.sosfiltfilt(sos, 3 * cn[:, 0] - 2 * cn[:, 1])
        yf = sps.sosfiltfilt(sos, 1.5 * cn[:, 0] + cn[:, 1] - 1.5 * cn[:, 2])
        expected = (xf - xf.std() / yf.std() * yf) * sps.windows.hann(48, sym=False)
        est = CHROM(chain=chain) if band is None else CHROM(chain=chain, band=band)
        np.testing.assert_allclose(est.predict(rgb[None])[0], expected, atol=1e-12)


def test_pbv_matches_formula_by_hand():
    rng = np.random.default_rng(5)
    rgb = 100 + rng.random((300, 3))
    p = np.array([0.2, 0.9, 0.4])
    cn = (rgb / rgb.mean(axis=0)).T
    pn = p / np.linalg.norm(p)
    w = np.linalg.inv(cn @ cn.T) @ pn
    expected = w @ cn / (pn @ w)
    np.testing.assert_allclose(PBV(signature=p).predict(rgb[None])[0], expected, rtol=1e-9)


def test_pbv_suppresses_colour_interference_off_the_signature(make_trace):
    # A colour variation (1.9 Hz) twice as strong as the pulse (1.2 Hz) but along another
    # colour direction: the least-energy weights with unit response to the signature
    # cancel it, while the green channel alone is dominated by it.
    rgb, _ = make_trace(1.2, drift=0.0, noise=1e-4)
    t = np.arange(rgb.shape[0]) / FS
    rgb = rgb * (1 + 0.01 * np.outer(np.sin(2 * np.pi * 1.9 * t), [1.0, 0.5, -0.4]))
    assert GREEN().predict_hr(rgb[None])[0] == pytest.approx(114.0, abs=1.0)
    assert PBV(signature=SIGNATURE).predict_hr(rgb[None])[0] == pytest.approx(72.0, abs=1.0)


def test_pos_overlap_add_counts_windows():
    # A window of 2 frames on 3 frames: H = h(window 0) padded + h(window 1) padded.
    rgb = np.array([[1.0, 2.0, 3.0], [2.0, 1.0, 3.0], [3.0, 3.0, 1.0]])
    out = POS(fs=1.0, band=(0.1, 0.4), window=2.0).predict(rgb[None])[0]
    expected = np.zeros(3)
    for start in (0, 1):
        cn = rgb[start : start + 2] / rgb[start : start + 2].mean(axis=0)
        s1 = cn[:, 1] - cn[:, 2]
        s2 = -2 * cn[:, 0] + cn[:, 1] + cn[:, 2]
        h = s1 + s1.std() / s2.std() * s2
        expected[start : start + 2] += h - h.mean()
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_chrom_windows_tile_and_tail_is_zero(traces):
    rgb, _ = traces
    length = 48  # ceil(1.6 * 30), even
    half = length // 2
    t = 600 - 10  # not a multiple of the hop: 10 fewer frames
    wave = CHROM().predict(rgb[:, :t])
    n_win = (t - half) // half
    end = (n_win + 1) * half
    assert np.all(wave[:, end:] == 0) and 0 < t - end < half
    assert np.all(np.abs(wave[:, half : end - half]).max(axis=1) > 0)


def test_jade_separates_independent_sources():
    rng = np.random.default_rng(0)
    t = np.arange(3000) / FS
    sources = np.vstack(
        [
            np.sin(2 * np.pi * 1.3 * t),
            rng.uniform(-1, 1, t.size),
            np.sign(np.sin(2 * np.pi * 0.31 * t)),
        ]
    )
    mixing = np.array([[1.0, 0.6, 0.3], [0.4, 1.0, 0.5], [0.7, 0.2, 1.0]])
    found = jade(mixing @ sources, 3)
    assert found.shape == (3, t.size)
    np.testing.assert_allclose(found @ found.T / t.size, np.eye(3), atol=1e-8)
    # Each true source is matched by exactly one recovered component, up to sign.
    corr = np.abs(np.corrcoef(np.vstack([sources, found]))[:3, 3:])
    assert np.all(corr.max(axis=1) > 0.99)
    assert sorted(corr.argmax(axis=1).tolist()) == [0, 1, 2]


@pytest.mark.parametrize(
    "params",
    [
        {"algorithm": "fastica", "random_state": 0},
        {"n_components": 2},
        {"component": 0, "n_components": 1},
    ],
)
def test_ica_variants_recover_pulse_rate(params, traces):
    rgb, _ = traces
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a possible FastICA convergence note
        hr = ICA(**params).predict_hr(rgb)
    np.testing.assert_allclose(hr, 60 * np.array(FREQS), atol=1.0)


def test_ica_fixed_component_selects_by_index(traces):
    rgb, _ = traces
    picked = [ICA(component=k).predict(rgb[:1])[0] for k in range(3)]
    auto = ICA().predict(rgb[:1])[0]
    assert any(np.allclose(auto, p) for p in picked)
    assert not np.allclose(picked[0], picked[1])


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_video_equals_its_mean_traces(cls):
    rng = np.random.default_rng(1)
    t = np.arange(120) / FS
    trace = SKIN * (1 + 0.02 * np.outer(np.sin(2 * np.pi * 1.3 * t), SIGNATURE))
    video = np.clip(trace[:, None, None, :] + rng.normal(0, 8, (2, 120, 5, 4, 3)), 0, 255)
    video = video.astype(np.uint8)
    means = video.astype(np.float64).mean(axis=(2, 3))
    est = cls()
    np.testing.assert_allclose(est.predict(video), est.predict(means), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(spatial_mean(video), means, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "uint16", "int16", "float32", "int32"])
def test_spatial_mean_is_bit_identical_to_the_float64_mean(dtype):
    """The integer sums give np.mean's float64 numbers exactly, on views and extremes too."""
    rng = np.random.default_rng(7)
    info = np.iinfo(dtype) if dtype != "float32" else None
    lo, hi = (info.min, info.max) if info else (0, 255)
    video = rng.integers(lo, int(hi) + 1, size=(2, 9, 37, 53, 3)).astype(dtype)
    video[0, 0] = hi  # a frame at the top of the range: the largest sums
    video[0, 1] = lo
    crop = video[:, :, 3:30, 5:44]  # a non-contiguous view, as a face crop is
    for x in (video, crop, video[:, :, :1, :1]):
        expected = np.mean(x, axis=(2, 3), dtype=np.float64)
        got = spatial_mean(x)
        assert got.dtype == np.float64 and np.array_equal(got, expected)
    assert spatial_mean(video[:, :, :, :, :])[0, 0].tolist() == [float(hi)] * 3


@pytest.mark.parametrize("cls", [CHROM, POS, LGI, PBV, ICA, OMIT], ids=lambda c: c.__name__)
def test_flat_channel_gives_nan_row_with_warning(cls, traces):
    rgb, _ = traces
    bad = rgb[:3].copy()
    bad[1, :, 0] = 255.0  # red saturated throughout
    with pytest.warns(EstimationWarning, match=r"series 1\b.*constant"):
        wave = cls().predict(bad)
    assert np.all(np.isnan(wave[1]))
    np.testing.assert_allclose(wave[[0, 2]], cls().predict(rgb[[0, 2]]), atol=1e-12)
    with pytest.warns(EstimationWarning):
        hr = cls().predict_hr(bad)
    assert np.isnan(hr[1]) and np.all(np.isfinite(hr[[0, 2]]))


def test_green_ignores_flat_red_but_not_flat_green(traces):
    rgb, _ = traces
    bad = rgb[:2].copy()
    bad[0, :, 0] = 255.0
    bad[1, :, 1] = 0.0
    with pytest.warns(EstimationWarning, match="series 1"):
        hr = GREEN().predict_hr(bad)
    assert hr[0] == pytest.approx(60 * FREQS[0], abs=1.0)
    assert np.isnan(hr[1])


def test_pos_black_stretch_gives_nan_with_warning(traces):
    rgb, _ = traces
    bad = rgb[:1].copy()
    # Camera covered for 55 frames (9 %, under the 10 % that makes a channel 'clipped'):
    # every window mean in there is zero.
    bad[0, 200:255] = 0.0
    with pytest.warns(EstimationWarning, match="undefined"):
        wave = POS().predict(bad)
    assert np.all(np.isnan(wave))
