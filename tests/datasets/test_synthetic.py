"""Tests of the synthetic rPPG generator against independent references.

Heart rates are checked against spectra and beat intervals computed here with numpy/scipy,
the pulse colour signature against a regression of the rendered pixels on the clean pulse,
and the ``pulse_source`` path against the ECG of a real record.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage, signal

from lqrppg.datasets import make_synthetic_rppg

PRESETS = ("none", "mild", "moderate", "severe")


# --------------------------------------------------------------------------------------------
# independent references
# --------------------------------------------------------------------------------------------
def spectral_hr(x, fs, lo=0.6, hi=4.0):
    """HR (bpm) at the peak of the zero-padded, Hann-windowed spectrum within [lo, hi] Hz."""
    x = np.asarray(x, float) - np.mean(x)
    n = 2**16
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size), n))
    freqs = np.fft.rfftfreq(n, 1 / fs)
    band = (freqs >= lo) & (freqs <= hi)
    return 60 * freqs[band][np.argmax(spec[band])]


def bandpass(x, fs, lo=0.6, hi=4.0):
    sos = signal.butter(2, [lo, hi], btype="bandpass", fs=fs, output="sos")
    return signal.sosfiltfilt(sos, x, axis=-1)


def pos(rgb, fs):
    """Plane-orthogonal-to-skin rPPG (Wang et al. 2017), written here as a reference."""
    n, win = rgb.shape[0], int(1.6 * fs)
    out = np.zeros(n)
    proj = np.array([[0.0, 1.0, -1.0], [-2.0, 1.0, 1.0]])
    for s in range(n - win + 1):
        c = rgb[s : s + win]
        p = (c / c.mean(axis=0)) @ proj.T
        h = p[:, 0] + p[:, 0].std() / p[:, 1].std() * p[:, 1]
        out[s : s + win] += h - h.mean()
    return out


def aligned_r(y, ref, fs, max_lag=0.5):
    """Largest Pearson r of ``y`` with ``ref`` delayed by 0..max_lag s, and that lag (s)."""
    best = (-2.0, 0)
    for lag in range(int(max_lag * fs) + 1):
        r = np.corrcoef(y[lag:], ref[: ref.size - lag])[0, 1]
        best = max(best, (r, lag))
    return best[0], best[1] / fs


def roi_mean(video, mask):
    return video[:, mask].astype(float).mean(axis=1)


def shared_data_dir() -> Path:
    env = os.environ.get("LQRPPG_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


# --------------------------------------------------------------------------------------------
# shared sets (module scope: generated once)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    return make_synthetic_rppg(
        n_subjects=2, videos_per_subject=2, duration=4.0, frame_size=(16, 24), random_state=0
    )


@pytest.fixture(scope="module")
def clips():
    """Noise-free float frames under steady light, so the pulse in the pixels can be measured."""
    return make_synthetic_rppg(
        n_subjects=4,
        duration=20.0,
        frame_size=(32, 32),
        illumination="none",
        sensor_noise=0.0,
        dtype=np.float32,
        random_state=1,
        return_masks=True,
    )


@pytest.fixture(scope="module")
def mild64():
    """The default setting at 64 x 64: what the unsupervised methods must cope with."""
    return make_synthetic_rppg(n_subjects=3, duration=20.0, frame_size=(64, 64), random_state=8)


@pytest.fixture(scope="module")
def labels():
    kw = dict(n_subjects=4, duration=30.0, frame_size=(8, 8), motion="none", random_state=2)
    return {level: make_synthetic_rppg(label_noise=level, **kw) for level in PRESETS}


# --------------------------------------------------------------------------------------------
# structure, determinism, memory
# --------------------------------------------------------------------------------------------
def test_shapes_and_dtypes(small):
    n, t, h, w = 4, 120, 16, 24
    assert small.videos.shape == (n, t, h, w, 3)
    assert small.videos.dtype == np.uint8
    for key in ("ppg", "ppg_clean", "hr_instantaneous"):
        assert small[key].shape == (n, t)
        assert np.all(np.isfinite(small[key]))
    for key in ("hr", "fitzpatrick", "pulse_amplitude", "label_delay", "subjects"):
        assert small[key].shape == (n,)
    assert small.skin_mask.shape == (n, h, w) and small.skin_mask.dtype == bool
    assert small.head_motion.shape == (n, t, 4)
    assert len(small.beat_times) == n
    assert small.fs == 30.0
    assert "skin_masks" not in small
    assert isinstance(small.description, str) and "2 subject(s)" in small.description
    np.testing.assert_array_equal(small.subjects, [0, 0, 1, 1])
    np.testing.assert_array_equal(small.video_ids, [0, 1, 0, 1])


def test_no_full_size_float64_returned(small):
    assert small.videos.dtype == np.uint8
    big = small.videos.size // 3  # one channel of the video
    for key, value in small.items():
        if isinstance(value, np.ndarray) and value.dtype == np.float64:
            assert value.size < big, key


def test_ppg_clean_is_normalised(small):
    np.testing.assert_allclose(small.ppg_clean.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(small.ppg_clean.std(axis=1), 1, rtol=1e-12)


def test_same_seed_same_output_other_seed_differs(small):
    again = make_synthetic_rppg(
        n_subjects=2, videos_per_subject=2, duration=4.0, frame_size=(16, 24), random_state=0
    )
    for key in ("videos", "ppg", "ppg_clean", "hr", "skin_mask", "head_motion", "label_delay"):
        np.testing.assert_array_equal(again[key], small[key])
    other = make_synthetic_rppg(
        n_subjects=2, videos_per_subject=2, duration=4.0, frame_size=(16, 24), random_state=1
    )
    assert not np.array_equal(other.videos, small.videos)
    assert not np.allclose(other.hr, small.hr)


def test_generator_and_randomstate_accepted():
    kw = dict(n_subjects=1, duration=1.0, frame_size=(8, 8))
    a = make_synthetic_rppg(random_state=np.random.default_rng(3), **kw)
    b = make_synthetic_rppg(random_state=np.random.default_rng(3), **kw)
    np.testing.assert_array_equal(a.videos, b.videos)
    c = make_synthetic_rppg(random_state=np.random.RandomState(3), **kw)
    d = make_synthetic_rppg(random_state=np.random.RandomState(3), **kw)
    np.testing.assert_array_equal(c.ppg, d.ppg)


def test_subjects_identical_when_made_in_pieces():
    kw = dict(duration=3.0, frame_size=(16, 16), random_state=7, videos_per_subject=2)
    whole = make_synthetic_rppg(n_subjects=3, **kw)
    piece = make_synthetic_rppg(n_subjects=2, subject_offset=1, **kw)
    np.testing.assert_array_equal(piece.subjects, [1, 1, 2, 2])
    for key in ("videos", "ppg", "ppg_clean", "hr", "fitzpatrick", "skin_mask"):
        np.testing.assert_array_equal(piece[key], whole[key][2:])
    # the first video of a subject does not depend on how many videos it has
    one = make_synthetic_rppg(n_subjects=3, **{**kw, "videos_per_subject": 1})
    np.testing.assert_array_equal(one.videos, whole.videos[::2])


def test_videos_do_not_depend_on_label_noise(labels):
    np.testing.assert_array_equal(labels["none"].videos, labels["severe"].videos)
    np.testing.assert_array_equal(labels["none"].ppg_clean, labels["severe"].ppg_clean)


def test_float32_output_is_the_unrounded_sensor_value():
    kw = dict(n_subjects=1, duration=2.0, frame_size=(16, 16), random_state=4)
    as_u8 = make_synthetic_rppg(**kw)
    as_f32 = make_synthetic_rppg(dtype=np.float32, **kw)
    assert as_f32.videos.dtype == np.float32
    assert as_f32.videos.min() >= 0 and as_f32.videos.max() <= 255
    np.testing.assert_array_equal(np.rint(as_f32.videos).astype(np.uint8), as_u8.videos)


def test_masks(clips):
    masks = clips.skin_masks
    assert masks.shape == clips.videos.shape[:4] and masks.dtype == bool
    # the always-skin ROI is skin in every frame, and a sizeable part of the frame
    for i in range(len(clips.hr)):
        assert masks[i][:, clips.skin_mask[i]].all()
        assert clips.skin_mask[i].sum() > 0.04 * clips.skin_mask[i].size


def test_head_motion_follows_preset():
    kw = dict(n_subjects=1, duration=10.0, frame_size=(64, 64), random_state=5)
    still = make_synthetic_rppg(motion="none", **kw)
    assert not still.head_motion.any()
    moving = make_synthetic_rppg(motion={"translation": 0.05, "rotation": 2.0}, **kw)
    np.testing.assert_allclose(moving.head_motion[0, :, :2].std(axis=0), 0.05 * 64, rtol=1e-4)
    np.testing.assert_allclose(moving.head_motion[0, :, 2].std(), 2.0, rtol=1e-4)
    assert not moving.head_motion[0, :, 3].any()
    # the face moves: frames differ far more than sensor noise alone would make them
    diff_moving = np.abs(np.diff(moving.videos[0, ::30].astype(float), axis=0)).mean()
    diff_still = np.abs(np.diff(still.videos[0, ::30].astype(float), axis=0)).mean()
    assert diff_moving > 1.5 * diff_still


def test_skin_types_and_tones():
    kw = dict(n_subjects=3, duration=1.0, frame_size=(32, 32), random_state=6, motion="none")
    light = make_synthetic_rppg(skin_types=(1,), **kw)
    dark = make_synthetic_rppg(skin_types=[6], **kw)
    assert np.all(light.fitzpatrick == 1) and np.all(dark.fitzpatrick == 6)
    for i in range(3):
        lt = roi_mean(light.videos[i], light.skin_mask[i]).mean(axis=0)
        dk = roi_mean(dark.videos[i], dark.skin_mask[i]).mean(axis=0)
        assert lt[0] > lt[1] > lt[2] and dk[0] > dk[1] > dk[2]  # skin: R > G > B
        assert lt.mean() > 1.3 * dk.mean()


# --------------------------------------------------------------------------------------------
# heart rate
# --------------------------------------------------------------------------------------------
def test_hr_is_spectral_peak_of_clean_pulse(clips):
    for i in range(len(clips.hr)):
        assert abs(spectral_hr(clips.ppg_clean[i], clips.fs) - clips.hr[i]) < 1.5


def test_hr_is_mean_beat_rate(clips):
    for i in range(len(clips.hr)):
        beats = clips.beat_times[i]
        assert abs(60 / np.mean(np.diff(beats)) - clips.hr[i]) < 0.5
        # whole cycles counted over the clip cannot differ from hr * duration by one beat
        assert abs(beats.size - clips.hr[i] * 20.0 / 60) <= 1.0
    np.testing.assert_allclose(clips.hr_instantaneous.mean(axis=1), clips.hr, rtol=2e-3)


def test_hr_from_skin_green_of_the_video(clips, mild64):
    for data in (clips, mild64):
        for i in range(len(data.hr)):
            green = roi_mean(data.videos[i], data.skin_mask[i])[:, 1]
            assert abs(spectral_hr(bandpass(green, data.fs), data.fs) - data.hr[i]) < 2.0


def test_pos_recovers_hr_on_mild_clips(mild64):
    data = mild64
    errors = []
    for i in range(len(data.hr)):
        for roi in (data.skin_mask[i], np.ones(data.skin_mask[i].shape, bool)):
            bvp = pos(roi_mean(data.videos[i], roi), data.fs)
            errors.append(spectral_hr(bandpass(bvp, data.fs), data.fs) - data.hr[i])
    assert np.mean(np.abs(errors)) <= 2.0


def test_hr_within_range_and_varies_across_subjects():
    data = make_synthetic_rppg(
        n_subjects=8, duration=10.0, frame_size=(8, 8), random_state=9, motion="none"
    )
    assert np.all((data.hr >= 45) & (data.hr <= 150))
    assert data.hr.std() > 10
    narrow = make_synthetic_rppg(
        n_subjects=4, duration=10.0, frame_size=(8, 8), hr_range=(60, 70), random_state=9
    )
    assert np.all((narrow.hr >= 60) & (narrow.hr <= 70))
    for i in range(4):
        assert abs(spectral_hr(narrow.ppg_clean[i], narrow.fs) - narrow.hr[i]) < 2.0


# --------------------------------------------------------------------------------------------
# pulse in the pixels
# --------------------------------------------------------------------------------------------
def _relative_gain(video, mask, ppg_clean, fs):
    """Per-channel relative intensity change per unit of ppg_clean (least squares)."""
    rgb = roi_mean(video, mask)
    rel = bandpass((rgb / rgb.mean(axis=0)).T, fs, 0.5, 5.0)
    ref = bandpass(ppg_clean, fs, 0.5, 5.0)
    return rel @ ref / (ref @ ref)


def test_pulse_amplitude_and_blood_colour_signature(clips):
    for i in range(len(clips.hr)):
        gain = _relative_gain(clips.videos[i], clips.skin_mask[i], clips.ppg_clean[i], clips.fs)
        assert 0.001 * 0.85 <= gain[1] <= 0.005 * 1.15
        assert gain[1] == pytest.approx(clips.pulse_amplitude[i], rel=0.15)
        assert gain[1] > gain[2] > gain[0] > 0  # G strongest, then B, then R
        np.testing.assert_allclose(gain / gain[1], [0.33 / 0.77, 1, 0.53 / 0.77], atol=0.05)


def test_pulse_in_noisy_uint8_video(mild64):
    for i in range(len(mild64.hr)):
        gain = _relative_gain(mild64.videos[i], mild64.skin_mask[i], mild64.ppg_clean[i], 30.0)
        assert gain[1] == pytest.approx(mild64.pulse_amplitude[i], rel=0.25)
        assert gain[1] > gain[2] > gain[0] > 0


def test_each_non_skin_pixel_is_unmodulated():
    # still head, steady light, no sensor noise: a pixel changes only if the pulse moves it
    data = make_synthetic_rppg(
        n_subjects=2,
        duration=10.0,
        frame_size=(32, 32),
        motion="none",
        illumination="none",
        sensor_noise=0.0,
        dtype=np.float32,
        random_state=14,
        return_masks=True,
    )
    for i in range(2):
        video = np.moveaxis(data.videos[i].astype(float), 0, -1)  # (H, W, 3, T)
        rel = bandpass(video / video.mean(axis=-1, keepdims=True), data.fs, 0.5, 5.0)
        ref = bandpass(data.ppg_clean[i], data.fs, 0.5, 5.0)
        gain = rel @ ref / (ref @ ref)  # per pixel and channel
        near_skin = ndimage.binary_dilation(data.skin_masks[i, 0], iterations=2)
        assert np.abs(gain[~near_skin]).max() < 1e-3 * data.pulse_amplitude[i]
        skin_g = gain[data.skin_mask[i], 1]
        assert np.median(skin_g) == pytest.approx(data.pulse_amplitude[i], rel=0.15)
        assert np.all(skin_g > 0.2 * data.pulse_amplitude[i])


def test_non_skin_regions_are_not_modulated(clips):
    for i in range(len(clips.hr)):
        ever_skin = ndimage.binary_dilation(clips.skin_masks[i].any(axis=0), iterations=2)
        assert (~ever_skin).sum() > 0.2 * ever_skin.size
        skin = _relative_gain(clips.videos[i], clips.skin_mask[i], clips.ppg_clean[i], clips.fs)
        rest = _relative_gain(clips.videos[i], ~ever_skin, clips.ppg_clean[i], clips.fs)
        assert np.all(np.abs(rest) < 0.03 * skin[1])


# --------------------------------------------------------------------------------------------
# label noise
# --------------------------------------------------------------------------------------------
def test_label_none_is_the_clean_pulse(labels):
    np.testing.assert_array_equal(labels["none"].ppg, labels["none"].ppg_clean)
    assert not labels["none"].label_delay.any()


def test_label_noise_increases_with_severity(labels):
    fs = labels["none"].fs
    r = {
        level: np.array([aligned_r(y, c, fs)[0] for y, c in zip(d.ppg, d.ppg_clean, strict=True)])
        for level, d in labels.items()
    }
    assert np.all(r["none"] > 0.9999)
    assert np.all(r["mild"] > r["severe"])
    assert r["none"].mean() > r["mild"].mean() > r["moderate"].mean() > r["severe"].mean()
    assert r["mild"].mean() > 0.8 and r["severe"].mean() < 0.75


def test_label_delay_within_physiological_range(labels):
    for level in ("mild", "moderate", "severe"):
        delays = labels[level].label_delay
        assert np.all((delays >= 0.05) & (delays <= 0.25))
    d = labels["mild"]
    for i in range(len(d.hr)):
        _, lag = aligned_r(d.ppg[i], d.ppg_clean[i], d.fs)
        assert abs(lag - d.label_delay[i]) <= 2.5 / d.fs


def test_pure_delay_label_is_a_shifted_copy():
    data = make_synthetic_rppg(
        n_subjects=2,
        duration=10.0,
        frame_size=(8, 8),
        label_noise={"delay": 0.1},
        random_state=10,
    )
    np.testing.assert_allclose(data.label_delay, 0.1)
    for i in range(2):
        r, lag = aligned_r(data.ppg[i], data.ppg_clean[i], data.fs)
        assert lag == pytest.approx(0.1) and r > 0.999


def test_label_components_do_what_they_say():
    kw = dict(n_subjects=2, duration=30.0, frame_size=(8, 8), random_state=11, motion="none")
    clean = make_synthetic_rppg(label_noise="none", **kw)
    noisy = make_synthetic_rppg(label_noise={"noise": 0.5}, **kw)
    np.testing.assert_allclose((noisy.ppg - clean.ppg).std(axis=1), 0.5, rtol=0.1)
    clipped = make_synthetic_rppg(label_noise={"clipping": 0.1}, **kw)
    for y in clipped.ppg:
        assert np.mean(y == y.max()) == pytest.approx(0.05, abs=0.01)
        assert np.mean(y == y.min()) == pytest.approx(0.05, abs=0.01)
    dropped = make_synthetic_rppg(label_noise={"dropout_rate": 20.0}, **kw)
    for y in dropped.ppg:
        flat = np.diff(y) == 0
        runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], flat, [0]]))))[::2]
        assert runs.size and runs.max() >= 0.5 * 30 - 1  # at least one >= 0.5 s flat span
    bursts = make_synthetic_rppg(label_noise={"artifact_rate": 10, "artifact_amplitude": 5}, **kw)
    assert np.all(np.abs(bursts.ppg - clean.ppg).max(axis=1) > 2.0)


# --------------------------------------------------------------------------------------------
# a real record drives the pulse
# --------------------------------------------------------------------------------------------
@pytest.mark.realdata
def test_pulse_source_follows_real_record():
    path = shared_data_dir() / "bidmc_01" / "bidmc_01_Signals.csv"
    if not path.is_file():
        pytest.skip(f"BIDMC record not found at {path} (set LQRPPG_SHARED_DATA)")
    table = np.genfromtxt(path, delimiter=",", names=True)
    rate = 125.0
    pleth, ecg = table["PLETH"], table["II"]
    data = make_synthetic_rppg(
        n_subjects=2,
        duration=30.0,
        frame_size=(16, 16),
        pulse_source=(pleth, rate),
        random_state=12,
    )
    # independent reference: R peaks of ECG lead II
    ecg_f = signal.sosfiltfilt(signal.butter(2, [5, 30], "bandpass", fs=rate, output="sos"), ecg)
    r_peaks, _ = signal.find_peaks(ecg_f, distance=int(0.4 * rate), prominence=1.5 * ecg_f.std())
    r_times = r_peaks / rate
    for i in range(2):
        start = data.source_start[i]
        assert 0 <= start <= pleth.size / rate - 30
        rr = np.diff(r_times[(r_times >= start) & (r_times < start + 30)])
        ecg_hr = 60 / rr.mean()
        assert 85 < ecg_hr < 100
        assert abs(data.hr[i] - ecg_hr) < 1.5
        assert abs(spectral_hr(data.ppg_clean[i], data.fs) - ecg_hr) < 2.0
        # the face pulse is the record's segment, resampled
        seg = pleth[int(start * rate) : int((start + 30) * rate)]
        seg = signal.resample(bandpass(seg, rate, 0.6, 4.0), data.ppg_clean.shape[1])
        assert np.corrcoef(seg, bandpass(data.ppg_clean[i], data.fs, 0.6, 4.0))[0, 1] > 0.9
    assert np.all(np.isnan(data.breathing_rate))


def test_pulse_source_synthetic_record_and_input_not_mutated():
    fs_src = 100.0
    t = np.arange(0, 60, 1 / fs_src)
    record = np.sin(2 * np.pi * 1.25 * t) + 0.3 * np.sin(2 * np.pi * 2.5 * t + 1.0)  # 75 bpm
    copy = record.copy()
    noise = {"delay": (0.1, 0.2), "noise": 0.1}
    data = make_synthetic_rppg(
        n_subjects=2,
        duration=20.0,
        frame_size=(8, 8),
        pulse_source=[(record, fs_src)],
        label_noise=noise,
        random_state=13,
    )
    np.testing.assert_allclose(data.hr, 75.0, atol=0.1)
    np.testing.assert_array_equal(record, copy)
    assert noise == {"delay": (0.1, 0.2), "noise": 0.1}


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"label_noise": "loud"}, "label_noise must be one of"),
        ({"label_noise": {"jitter": 1.0}}, "unknown component"),
        ({"label_noise": {"noise": -1.0}}, r"label_noise\['noise'\]"),
        ({"label_noise": {"delay": (0.3, 0.1)}}, r"label_noise\['delay'\]"),
        ({"label_noise": 3}, "label_noise must be one of"),
        ({"motion": "wild"}, "motion must be one of"),
        ({"illumination": {"drift": 2.0}}, r"illumination\['drift'\]"),
        ({"duration": -1.0}, "duration must be"),
        ({"duration": 0.1}, "at least 8 frames"),
        ({"fs": 0}, "fs must be"),
        ({"frame_size": (0, 64)}, "frame_size must be a pair"),
        ({"frame_size": (64,)}, "frame_size must be a pair"),
        ({"frame_size": (64.0, 64)}, "frame_size must be a pair"),
        ({"frame_size": "64"}, "frame_size must be a pair"),
        ({"hr_range": (150, 45)}, "hr_range must be"),
        ({"hr_range": (10, 100)}, "hr_range must be"),
        ({"n_subjects": 0}, "n_subjects must be"),
        ({"videos_per_subject": 1.5}, "videos_per_subject must be"),
        ({"subject_offset": -1}, "subject_offset must be"),
        ({"pulse_amplitude": 0.0}, "pulse_amplitude must be > 0"),
        ({"pulse_amplitude": (0.01, 0.1)}, "pulse_amplitude must be"),
        ({"skin_types": [0, 7]}, "skin_types must be"),
        ({"sensor_noise": -2.0}, "sensor_noise must be"),
        ({"dtype": np.float64}, "dtype must be"),
        ({"random_state": -1}, "random_state must be"),
        ({"random_state": "seed"}, "random_state must be None"),
        ({"return_masks": "yes"}, "return_masks must be"),
        ({"pulse_source": (np.zeros((100, 2)), 125.0)}, "pulse_source must be"),
        ({"pulse_source": (np.zeros(100), 125.0)}, r"pulse_source is 0\.8 s long"),
        ({"pulse_source": (np.ones(10_000), 125.0)}, "constant"),
        ({"pulse_source": (np.ones(10_000), -1.0)}, "pulse_source rate"),
        ({"pulse_source": [np.ones(10)]}, r"pulse_source\[0\] must be a pair"),
        ({"pulse_source": "file.csv"}, "pulse_source must be"),
    ],
)
def test_invalid_parameters_raise_clear_errors(kwargs, match):
    base = dict(n_subjects=1, duration=2.0, frame_size=(8, 8), random_state=0)
    with pytest.raises(ValueError, match=match):
        make_synthetic_rppg(**{**base, **kwargs})


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    fs=st.sampled_from([15.0, 25.0, 30.0]),
    lo=st.floats(40, 120),
    width=st.floats(0, 60),
)
def test_invariants_hold_for_random_settings(seed, fs, lo, width):
    data = make_synthetic_rppg(
        n_subjects=1,
        duration=6.0,
        fs=fs,
        frame_size=(8, 12),
        hr_range=(lo, lo + width),
        label_noise="none",
        random_state=seed,
    )
    assert data.videos.shape == (1, round(6 * fs), 8, 12, 3)
    assert lo - 1e-9 <= data.hr[0] <= lo + width + 1e-9
    np.testing.assert_array_equal(data.ppg, data.ppg_clean)
    assert np.isclose(data.ppg_clean.std(), 1.0)
