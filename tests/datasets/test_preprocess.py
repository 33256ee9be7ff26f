"""preprocess_dataset: clips, labels, accounting of every clip, on-disk cache, parallelism."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest

from lqrppg.datasets import (
    _loaders,
    load_cohface,
    load_mmpd,
    load_pure,
    load_ubfc_rppg,
    preprocess_dataset,
)
from lqrppg.signal import diff_normalize, standardize
from lqrppg.video import FaceCropper, FaceNotFoundWarning, read_video

cv2 = pytest.importorskip("cv2")

FAST = {"face_cropper": None, "size": (16, 16), "progress": False}


def resized_video(path, size=(16, 16)) -> np.ndarray:
    """The video of ``path`` resized frame by frame with INTER_AREA, float64 (reference)."""
    frames = read_video(path).frames
    return np.stack(
        [cv2.resize(f, size[::-1], interpolation=cv2.INTER_AREA) for f in frames]
    ).astype(np.float64)


@pytest.fixture
def count_reads(monkeypatch):
    """Count the videos decoded (in this process: use with n_jobs=1)."""
    calls = []
    real = _loaders.read_video
    monkeypatch.setattr(_loaders, "read_video", lambda p: calls.append(p) or real(p))
    return calls


def test_clips_labels_and_summary_match_a_manual_pipeline(ubfc_dir):
    root, written = ubfc_dir
    out = preprocess_dataset(load_ubfc_rppg(root), chunk_length=40, **FAST)
    assert out.X.shape == (8, 40, 16, 16, 3) and out.X.dtype == np.float32
    assert out.y.shape == (8, 40) and out.y.dtype == np.float32
    # The dataset's own HR (ground_truth.txt line 2, 72 bpm in the fixture) at every frame.
    assert out.hr.shape == (8, 40) and out.hr.dtype == np.float32
    np.testing.assert_array_equal(out.hr, 72.0)
    assert out.groups.tolist() == ["subject1"] * 4 + ["subject2"] * 4
    assert out.clip_index.start.tolist() == [0, 40, 80, 120] * 2
    assert out.clip_index.recording.tolist() == out.groups.tolist()
    s = out.summary
    assert s.recording.tolist() == ["subject1", "subject2"]
    assert s.status.tolist() == ["ok", "ok"] and s.reason.tolist() == ["", ""]
    assert s.n_frames.tolist() == [180, 180] and s.n_clips_expected.tolist() == [4, 4]
    assert s.n_clips_made.tolist() == [4, 4] and s.n_clips_skipped.tolist() == [0, 0]
    assert s.n_frames_dropped.tolist() == [20, 20]  # 180 = 4 * 40 + 20
    assert not s.from_cache.any() and s.fps.tolist() == [30.0, 30.0]
    assert out.fs == 30.0 and out.chunk_length == 40 and out.cache_dir is None

    # Reference: resize, z-score over the recording, cut; the label likewise.
    for i, name in enumerate(["subject1", "subject2"]):
        video = resized_video(root / name / "vid.avi")
        z = (video - video.mean()) / video.std()
        src = written[name]
        y = standardize(np.interp(np.arange(180) / 30.0, src.t, src.ppg))
        for j, start in enumerate([0, 40, 80, 120]):
            np.testing.assert_allclose(out.X[4 * i + j], z[start : start + 40], atol=2e-5)
            np.testing.assert_allclose(out.y[4 * i + j], y[start : start + 40], atol=2e-5)


def test_n_jobs_1_and_2_give_identical_results(ubfc_dir):
    root, _ = ubfc_dir
    data = load_ubfc_rppg(root)
    kw = {**FAST, "chunk_length": 50, "overlap": 10, "normalize": "diffnormalize"}
    one = preprocess_dataset(data, n_jobs=1, **kw)
    two = preprocess_dataset(data, n_jobs=2, **kw)
    np.testing.assert_array_equal(one.X, two.X)
    np.testing.assert_array_equal(one.y, two.y)
    np.testing.assert_array_equal(one.groups, two.groups)
    pd.testing.assert_frame_equal(one.clip_index, two.clip_index)
    pd.testing.assert_frame_equal(one.summary, two.summary)


def test_cache_is_read_on_the_second_call_and_keyed_by_params_and_files(
    tmp_path, videos, writers, count_reads
):
    for i in range(2):
        writers.ubfc(tmp_path / "data", f"subject{i + 1}", videos[i][:90])
    data = load_ubfc_rppg(tmp_path / "data")
    cache = tmp_path / "cache"
    first = preprocess_dataset(data, chunk_length=30, cache_dir=cache, **FAST)
    assert len(count_reads) == 2 and not first.summary.from_cache.any()
    entries = sorted(p.name for p in (cache / "UBFC-rPPG").iterdir())
    assert len(entries) == 2 and entries[0].startswith("subject1-")

    second = preprocess_dataset(data, chunk_length=30, cache_dir=cache, **FAST)
    assert len(count_reads) == 2  # no video decoded
    assert second.summary.from_cache.all()
    np.testing.assert_array_equal(first.X, second.X)
    np.testing.assert_array_equal(first.y, second.y)
    pd.testing.assert_frame_equal(first.clip_index, second.clip_index)
    cols = ["n_frames", "n_clips_made", "n_clips_skipped", "n_frames_dropped", "status"]
    pd.testing.assert_frame_equal(first.summary[cols], second.summary[cols])

    # Another parameter: a new key for both recordings.
    preprocess_dataset(data, chunk_length=30, cache_dir=cache, **{**FAST, "size": (8, 8)})
    assert len(count_reads) == 4
    # A touched file: a new key for that recording only.
    label = tmp_path / "data" / "subject2" / "ground_truth.txt"
    st = label.stat()
    os.utime(label, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    third = preprocess_dataset(data, chunk_length=30, cache_dir=cache, **FAST)
    assert len(count_reads) == 5 and count_reads[-1].parent.name == "subject2"
    assert third.summary.from_cache.tolist() == [True, False]


def test_every_clip_is_accounted_for_when_some_are_skipped(tmp_path, videos, writers):
    root = tmp_path / "data"
    writers.ubfc(root, "subject1", videos[0])  # fine: 4 clips of 40, 20 frames dropped
    bad = writers.ubfc(root, "subject2", videos[1][:60]).folder
    (bad / "vid.avi").write_bytes(b"garbage, not a video")  # unreadable
    writers.ubfc(root, "subject3", videos[1][:20])  # shorter than a clip
    still = videos[1].copy()
    still[:40] = 128  # clip 0 constant: it cannot be standardised on its own
    writers.ubfc(root, "subject4", still)

    with pytest.warns(UserWarning, match="3 of 4 recordings of UBFC-rPPG lost clips"):
        out = preprocess_dataset(load_ubfc_rppg(root), chunk_length=40, scope="clip", **FAST)
    s = out.summary.set_index("recording")
    assert s.status.to_dict() == {
        "subject1": "ok",
        "subject2": "skipped",
        "subject3": "skipped",
        "subject4": "partial",
    }
    assert "cannot read the recording" in s.reason["subject2"]
    assert "cannot open" in s.reason["subject2"]
    assert pd.isna(s.n_frames["subject2"]) and pd.isna(s.n_clips_expected["subject2"])
    assert s.reason["subject3"] == "20 frames, fewer than chunk_length=40"
    assert (s.n_clips_expected["subject3"], s.n_frames_dropped["subject3"]) == (0, 20)
    assert "1 of 4 clips: clip 0 (frame 0)" in s.reason["subject4"]
    assert "constant" in s.reason["subject4"]
    # made + skipped == expected wherever the frames could be counted; X holds what was made.
    known = s.n_clips_expected.notna()
    assert (s.n_clips_made + s.n_clips_skipped)[known].tolist() == s.n_clips_expected[
        known
    ].tolist()
    assert s.n_clips_made.tolist() == [4, 0, 0, 3] and len(out.X) == 7
    assert out.clip_index.start.tolist() == [0, 40, 80, 120, 40, 80, 120]
    assert out.groups.tolist() == ["subject1"] * 4 + ["subject4"] * 3
    # Per-clip scope: every clip is standardised on its own.
    np.testing.assert_allclose(out.X.mean(axis=(1, 2, 3, 4)), 0, atol=1e-5)
    np.testing.assert_allclose(out.X.std(axis=(1, 2, 3, 4)), 1, atol=1e-4)
    np.testing.assert_allclose(out.y.std(axis=1), 1, atol=1e-5)

    with pytest.raises(ValueError, match="cannot open"):
        preprocess_dataset(load_ubfc_rppg(root), chunk_length=40, on_error="raise", **FAST)


def test_no_face_found_skips_the_recording_and_says_why(ubfc_dir, tmp_path):
    root, _ = ubfc_dir
    data = load_ubfc_rppg(root)  # 32 x 32 frames: too small for the face detector
    with pytest.warns(UserWarning, match="2 of 2 recordings"):
        out = preprocess_dataset(data, chunk_length=40, progress=False)
    assert out.X.shape == (0, 40, 128, 128, 3) and out.y.shape == (0, 40)
    s = out.summary
    assert s.status.tolist() == ["skipped", "skipped"]
    assert s.n_clips_expected.tolist() == [4, 4] and s.n_clips_skipped.tolist() == [4, 4]
    assert all("all 4 clips: FaceCropper found no face" in r for r in s.reason)
    with pytest.raises(ValueError, match="UBFC-rPPG subject1: FaceCropper found no face"):
        preprocess_dataset(data, chunk_length=40, on_error="raise", progress=False)
    # A skip read from the cache still raises with on_error="raise".
    with pytest.warns(UserWarning, match="lost clips"):
        preprocess_dataset(data, chunk_length=40, cache_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="FaceCropper found no face"):
        preprocess_dataset(
            data, chunk_length=40, cache_dir=tmp_path, on_error="raise", progress=False
        )

    # With a centre crop instead, the clips are made and the fallback is noted.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = preprocess_dataset(
            data,
            chunk_length=40,
            face_cropper=FaceCropper(on_missing="center"),
            size=(16, 16),
            progress=False,
        )
    assert out.X.shape == (8, 40, 16, 16, 3)
    assert any(issubclass(w.category, FaceNotFoundWarning) for w in caught)
    assert all("FaceCropper found no face" in n for n in out.summary.notes)
    assert out.params["face_cropper"]["class"] == "lqrppg.video._face.FaceCropper"
    assert out.params["face_cropper"]["params"]["output_size"] == "(16, 16)"


def test_overlap_remainder_last_and_diffnormalize(ubfc_dir):
    root, written = ubfc_dir
    data = load_ubfc_rppg(root, subjects=["subject1"])
    out = preprocess_dataset(
        data,
        chunk_length=50,
        overlap=10,
        remainder="last",
        normalize="diffnormalize",
        label_normalize="diffnormalize",
        **FAST,
    )
    assert out.clip_index.start.tolist() == [0, 40, 80, 120, 130]
    assert out.summary.n_frames_dropped.tolist() == [0]
    video = resized_video(root / "subject1" / "vid.avi")
    d = (video[1:] - video[:-1]) / (video[1:] + video[:-1] + 1e-7)
    d = np.concatenate([d / d.std(), np.zeros_like(video[:1])])
    src = written["subject1"]
    y = diff_normalize(np.interp(np.arange(180) / 30.0, src.t, src.ppg))
    for k, start in enumerate([0, 40, 80, 120, 130]):
        np.testing.assert_allclose(out.X[k], d[start : start + 50], atol=1e-4)
        np.testing.assert_allclose(out.y[k], y[start : start + 50], atol=1e-5)


def test_every_loader_feeds_the_preprocessing(tmp_path, videos, writers):
    pytest.importorskip("h5py")  # COHFACE labels
    writers.pure(tmp_path / "pure", "01-01", videos[0][:45], nested=True)
    writers.cohface(tmp_path / "cohface", "1", "0", videos[0][:45])
    writers.mmpd(tmp_path / "mmpd", 1, 0, videos[0][:45])
    for loader, sub in [(load_pure, "pure"), (load_cohface, "cohface"), (load_mmpd, "mmpd")]:
        data = loader(tmp_path / sub)
        rec = data.recordings[0].load()
        out = preprocess_dataset(data, chunk_length=20, normalize=None, **FAST)
        assert out.X.shape == (2, 20, 16, 16, 3), sub
        assert out.summary.n_frames_dropped.tolist() == [5]
        np.testing.assert_allclose(out.y[1], standardize(rec.ppg)[20:40], atol=1e-5)
        # PURE stores the oximeter's pulse rate; COHFACE and MMPD have no HR of their own.
        if rec.hr is None:
            assert np.isnan(out.hr).all(), sub
        else:
            np.testing.assert_allclose(out.hr[1], rec.hr[20:40], rtol=1e-6)
        # normalize=None keeps the resized intensities, as uint8.
        assert out.X.dtype == np.uint8, sub
        ref = cv2.resize(rec.frames[20], (16, 16), interpolation=cv2.INTER_AREA)
        np.testing.assert_array_equal(out.X[1, 0], ref)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"chunk_length": 0}, "chunk_length must be an integer >= 1"),
        ({"chunk_length": 10, "overlap": 10}, "overlap must be smaller than chunk_length"),
        ({"remainder": "pad"}, r"remainder must be one of \['drop', 'last'\]"),
        ({"normalize": "zscore"}, "normalize must be one of"),
        ({"label_normalize": "minmax"}, "label_normalize must be one of"),
        ({"scope": "video"}, r"scope must be one of \['recording', 'clip'\]"),
        ({"face_cropper": "haar"}, "face_cropper must be 'default', None"),
        ({"face_cropper": 3}, "face_cropper must be 'default', None"),
        ({"size": (0, 4)}, "size must be None or a pair of positive integers"),
        ({"on_error": "ignore"}, "on_error must be one of"),
        ({"n_jobs": 0}, "n_jobs must not be 0"),
        ({"chunk_length": 2, "scope": "clip", "normalize": "diffnormalize"}, ">= 3"),
    ],
)
def test_bad_parameters_are_named(ubfc_dir, kwargs, match):
    data = load_ubfc_rppg(ubfc_dir[0])
    with pytest.raises(ValueError, match=match):
        preprocess_dataset(data, **{"progress": False, **kwargs})


def test_bad_dataset_argument():
    with pytest.raises(ValueError, match="dataset must be the Bunch of a loader"):
        preprocess_dataset("somewhere", progress=False)
    with pytest.raises(ValueError, match="no recordings"):
        preprocess_dataset([], progress=False)
    with pytest.raises(ValueError, match="must hold Recording objects"):
        preprocess_dataset({"recordings": ["a"]}, progress=False)


def test_cut_short_video_and_labels_past_it_are_partial(tmp_path, videos, writers):
    """A half-cut vid.avi and a label that runs past the video: 'partial', with the seconds."""
    from lqrppg.exceptions import TruncatedVideoWarning

    writers.ubfc(tmp_path, "subject1", videos[0])
    cut = writers.ubfc(tmp_path, "subject2", videos[1])
    avi = cut.folder / "vid.avi"
    avi.write_bytes(avi.read_bytes()[: avi.stat().st_size // 2])
    writers.ubfc(tmp_path, "subject3", videos[0][:90], span=6.0)  # 3 s of video, 6 s of PPG
    with (
        pytest.warns(TruncatedVideoWarning, match="vid.avi.*s \\(\\d+ frames\\) are missing"),
        pytest.warns(UserWarning, match="2 of 3 recordings .* lost clips or are incomplete"),
    ):
        out = preprocess_dataset(load_ubfc_rppg(tmp_path), chunk_length=60, **FAST)
    rows = out.summary.set_index("recording")
    assert rows.loc["subject1", "status"] == "ok"
    assert rows.loc["subject2", "status"] == "partial"
    assert "video is cut short" in rows.loc["subject2", "reason"]
    missing = 180 - int(rows.loc["subject2", "n_frames"])
    assert f"{missing} frames ({missing / 30:.1f} s)" in rows.loc["subject2", "reason"]
    assert rows.loc["subject3", "status"] == "partial"
    assert "s of contact PPG after the video are not used" in rows.loc["subject3", "reason"]
    # the clips that could be made still are, and are counted
    assert int(rows.loc["subject3", "n_clips_made"]) == 1
