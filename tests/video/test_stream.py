"""stream_predict end to end on synthetic video files."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from lqrppg.baselines import POS
from lqrppg.datasets import make_synthetic_rppg
from lqrppg.signal import estimate_hr
from lqrppg.video import Resizer, cut_clips, overlap_add, read_video, stream_predict, write_video

pytest.importorskip("cv2")


@pytest.fixture(scope="module")
def long_videos(tmp_path_factory):
    """Three 20-s synthetic videos (64 x 64, 30 fps), written losslessly (FFV1 .mkv)."""
    data = make_synthetic_rppg(
        n_subjects=3, duration=20.0, fs=30.0, frame_size=(64, 64), random_state=0
    )
    folder = tmp_path_factory.mktemp("long")
    paths = [write_video(folder / f"v{i}.mkv", v, data.fs) for i, v in enumerate(data.videos)]
    return data, paths


def test_streamed_pos_finds_the_heart_rate(long_videos):
    data, paths = long_videos
    for path, true_hr in zip(paths, data.hr, strict=True):
        seen = []

        def predict(clip, seen=seen):
            seen.append(clip.shape)
            return POS(fs=30.0).predict(clip)

        out = stream_predict(path, predict, chunk_seconds=8.0, overlap_seconds=4.0)
        assert out.fps == 30.0 and out.waveform.shape == (600,) and out.timestamps.shape == (600,)
        assert np.all(np.isfinite(out.waveform))
        assert out.timestamp_source == "container"
        np.testing.assert_allclose(out.timestamps, np.arange(600) / 30.0, atol=1e-3)
        assert out.starts.tolist() == [0, 120, 240, 360] and out.chunk_frames == 240
        assert all(s == (1, 240, 64, 64, 3) for s in seen)
        assert abs(estimate_hr(out.waveform, out.fps) - true_hr) < 3.0


def test_stream_equals_cut_predict_overlap_add(long_videos):
    _, paths = long_videos
    video = read_video(paths[0])
    out = stream_predict(
        paths[0], POS(fs=30.0).predict, chunk_seconds=7.0, overlap_seconds=2.0, window="boxcar"
    )
    # 600 frames in 210-frame chunks every 150: [0, 150, 300] and a last chunk ending on 599.
    cut = cut_clips(video.frames, 210, overlap=60, remainder="last")
    assert out.starts.tolist() == cut.starts.tolist() == [0, 150, 300, 390]
    expected = overlap_add(POS(fs=30.0).predict(cut.clips), cut.starts, 600, window="boxcar")
    np.testing.assert_allclose(out.waveform, expected, rtol=1e-10, atol=1e-12)


def test_transform_is_applied_to_each_chunk(long_videos):
    _, paths = long_videos
    seen = []

    def predict(clip):
        seen.append(clip.shape)
        return clip[..., 1].mean(axis=(2, 3))

    out = stream_predict(
        paths[1], predict, chunk_seconds=10.0, overlap_seconds=0.0, transform=Resizer(size=(8, 8))
    )
    assert seen == [(1, 300, 8, 8, 3)] * 2
    full = read_video(paths[1]).frames
    small = Resizer(size=(8, 8)).transform(full[None])[0]
    np.testing.assert_allclose(out.waveform, small[..., 1].mean(axis=(1, 2)), rtol=1e-12)
    # A plain function works as a transform too.
    stream_predict(paths[1], predict, chunk_seconds=10.0, transform=lambda c: c[:, :, ::8, ::8])
    assert seen[-1] == (1, 300, 8, 8, 3)


def test_memory_is_bounded_by_the_chunk_not_the_video(tmp_path):
    # A 40-s video (1200 frames of 64 x 64 x 3 = 14.7 MB decoded) streamed in 2-s chunks.
    data = make_synthetic_rppg(
        n_subjects=1, duration=2.0, fs=30.0, frame_size=(64, 64), random_state=3
    )
    path = tmp_path / "long.mkv"
    write_video(path, np.tile(data.videos[0], (20, 1, 1, 1)), 30.0)
    video_bytes = 1200 * 64 * 64 * 3
    chunk_bytes = 60 * 64 * 64 * 3
    longest = []

    def predict(clip):
        longest.append(clip.shape[1])
        return POS(fs=30.0).predict(clip)

    tracemalloc.start()
    try:
        out = stream_predict(path, predict, chunk_seconds=2.0, overlap_seconds=0.5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.waveform.shape == (1200,) and np.all(np.isfinite(out.waveform))
    assert max(longest) == 60 and len(longest) == 27
    # Frames held at once: a few chunks, far below the decoded video.
    assert peak < 10 * chunk_bytes < video_bytes


def test_short_video_is_one_clip(tmp_path):
    path = write_video(tmp_path / "s.mkv", np.full((20, 8, 8, 3), 70, np.uint8), fps=10.0)
    out = stream_predict(path, lambda c: c[..., 0].mean(axis=(2, 3)), chunk_seconds=5.0)
    assert out.starts.tolist() == [0] and out.waveform.shape == (20,)
    np.testing.assert_allclose(out.waveform, 70.0, atol=1.0)


def test_stream_errors(tmp_path):
    path = write_video(tmp_path / "s.mkv", np.full((20, 8, 8, 3), 70, np.uint8), fps=10.0)

    def ok(c):
        return c[..., 0].mean(axis=(2, 3))

    with pytest.raises(FileNotFoundError, match=r"missing\.avi"):
        stream_predict(tmp_path / "missing.avi", ok, chunk_seconds=1.0)
    with pytest.raises(ValueError, match="chunk_seconds"):
        stream_predict(path, ok, chunk_seconds=0.1)
    with pytest.raises(ValueError, match="overlap_seconds"):
        stream_predict(path, ok, chunk_seconds=1.0, overlap_seconds=1.0)
    with pytest.raises(ValueError, match="overlap_seconds"):
        stream_predict(path, ok, chunk_seconds=1.0, overlap_seconds=-1.0)
    with pytest.raises(ValueError, match="predict_fn must be callable"):
        stream_predict(path, None, chunk_seconds=1.0)
    with pytest.raises(ValueError, match=r"predict_fn must return .*\(1, 10\).*got shape \(1, 9\)"):
        stream_predict(path, lambda c: ok(c)[:, 1:], chunk_seconds=1.0)
    with pytest.raises(ValueError, match="window"):
        stream_predict(path, ok, chunk_seconds=1.0, window="hamming")
