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


# -- crop on read (StreamCrop) ------------------------------------------------------------
FPS = 30.0
WALL_FRAMES = 20  # the face appears at frame 20


@pytest.fixture(scope="module")
def astronaut_file(astronaut, tmp_path_factory):
    """4 s (120 frames, 250 x 330) of the astronaut's face panning right over a wall, after
    20 frames of the bare wall; lossless FFV1, so the decoded frames are these frames."""
    crop = astronaut[0:224, 128:352]
    rng = np.random.default_rng(1)
    wall = np.clip(rng.normal((96, 112, 128), 2, (250, 330, 3)), 0, 255).astype(np.uint8)
    frames = np.repeat(wall[None], 120, axis=0)
    cols = np.rint(np.linspace(10, 90, 100)).astype(int)
    for t, c in zip(range(WALL_FRAMES, 120), cols, strict=True):
        frames[t, 12 : 12 + 224, c : c + 224] = crop
    path = write_video(tmp_path_factory.mktemp("astro") / "astro.mkv", frames, FPS)
    np.testing.assert_array_equal(read_video(path).frames, frames)  # lossless
    return path, frames


def _documented_faces(frames, every):
    """The documented search at frames 0, every, 2 every, ...: 160-px detection, faces of 2/3
    to 3/2 times the last face's side first, all sizes (from 30 px) when none is there."""
    import math

    from lqrppg.video import detect_faces

    faces, last = {}, None
    for t in range(0, len(frames), every):
        found = np.empty((0, 4))
        if last is not None:
            low, high = max(30, int(last / 1.5)), math.ceil(last * 1.5)
            found = detect_faces(frames[t], min_size=low, max_size=high, downscale_to=160)
        if not len(found):
            found = detect_faces(frames[t], downscale_to=160)
        faces[t] = found[0].astype(float) if len(found) else np.full(4, np.nan)
        last = max(found[0][2:]) if len(found) else None
    return faces


def _expected_box(faces, instants, frames, scale=1.5):
    """The documented box: the median centre and side of the faces found at ``instants``."""
    from lqrppg.video._face import _square_box

    found = np.array([faces[t] for t in instants if not np.isnan(faces[t][0])]).reshape(-1, 4)
    height, width = frames.shape[1:3]
    if not len(found):
        return _square_box(width / 2, height / 2, height, height, width), True
    side = scale * np.maximum(found[:, 2], found[:, 3])
    cx, cy = found[:, 0] + found[:, 2] / 2, found[:, 1] + found[:, 3] / 2
    return _square_box(np.median(cx), np.median(cy), np.median(side), height, width), False


def _crop(frames, box, size=None):
    x, y, w, h = box
    crops = frames[:, y : y + h, x : x + w]
    return crops if size is None else Resizer(size=size).transform(crops[None])[0]


def _collect(path, crop, **kwargs):
    seen = []

    def predict(clip):
        seen.append(clip[0].copy())
        return np.zeros(clip.shape[:2])

    out = stream_predict(path, predict, fps=None, crop=crop, **kwargs)
    return out, seen


def test_crop_on_read_chunk_boxes_follow_the_documented_rule(astronaut_file, monkeypatch):
    path, frames = astronaut_file
    from lqrppg.video import StreamCrop, _stream

    calls = []
    real = _stream.detect_faces

    def counting(image, **kwargs):
        calls.append(image.shape)
        return real(image, **kwargs)

    monkeypatch.setattr(_stream, "detect_faces", counting)
    crop = StreamCrop(box="chunk", size=(24, 24), detect_every=0.5)
    # 2-s chunks every 1.5 s: [0, 60), [45, 105), and [60, 120) to end on the last frame
    out, seen = _collect(path, crop, chunk_seconds=2.0, overlap_seconds=0.5)
    assert out.starts.tolist() == [0, 45, 60]
    # every 15th frame, each detected once although chunks share frames; grey, full size
    assert out.detection_frames.tolist() == list(range(0, 120, 15))
    assert len(calls) == 8 and set(calls) == {(250, 330)}
    assert np.isnan(out.faces[:2, 0]).all() and not np.isnan(out.faces[2:, 0]).any()
    faces = _documented_faces(frames, 15)
    np.testing.assert_array_equal(out.faces, [faces[t] for t in range(0, 120, 15)])
    # chunk 0: only frame 0 is known when it starts (the wall): the centre, reported
    box0, fallback0 = _expected_box(faces, [0], frames)
    assert fallback0 and out.chunk_fallback.tolist() == [True, False, False]
    # chunk 1 (from frame 45): the detections of frames 0-45; the face at 30 and 45
    box1, _ = _expected_box(faces, [0, 15, 30, 45], frames)
    # the short chunk from frame 90: frames 45-90; its box is reported for the last clip
    box2, _ = _expected_box(faces, [45, 60, 75, 90], frames)
    np.testing.assert_array_equal(out.chunk_boxes, [box0, box1, box2])
    np.testing.assert_array_equal(seen[0], _crop(frames[0:60], box0, (24, 24)))
    np.testing.assert_array_equal(seen[1], _crop(frames[45:105], box1, (24, 24)))
    # the last clip: frames 60-89 as cropped for chunk 1, then 90-119 with its own box
    np.testing.assert_array_equal(seen[2][:30], _crop(frames[60:90], box1, (24, 24)))
    np.testing.assert_array_equal(seen[2][30:], _crop(frames[90:120], box2, (24, 24)))
    assert not np.array_equal(box1, box2)  # the face moved: the two parts differ


def test_crop_on_read_mean_and_whole_crops_equal_the_in_memory_pipeline(astronaut_file):
    from lqrppg.baselines import spatial_mean
    from lqrppg.video import StreamCrop

    path, frames = astronaut_file
    kw = {"chunk_seconds": 2.0, "overlap_seconds": 0.5}
    out, means = _collect(path, StreamCrop(size="mean", detect_every=0.5), **kw)
    boxes = out.chunk_boxes
    parts = {  # the frames of each clip and the box each was cropped with
        0: [(frames[0:60], boxes[0])],
        1: [(frames[45:105], boxes[1])],
        2: [(frames[60:90], boxes[1]), (frames[90:120], boxes[2])],  # chunk 1's, then its own
    }
    for k, pieces in parts.items():
        # the mean of each crop, to the last bit, as the baselines compute it
        expected = np.concatenate([spatial_mean(_crop(f, b)[None])[0] for f, b in pieces])
        assert means[k].shape == (60, 3) and means[k].dtype == np.float64
        assert np.array_equal(means[k], expected)
    # POS on the streamed traces is POS on the in-memory crops
    pos = POS(fs=FPS)
    for k, start in enumerate(out.starts[:2]):
        expected = pos.predict(_crop(frames[start : start + 60], out.chunk_boxes[k])[None])
        np.testing.assert_array_equal(pos.predict(means[k][None]), expected)


def test_crop_on_read_whole_frame_and_first_box(astronaut_file):
    from lqrppg.video import StreamCrop

    path, frames = astronaut_file
    kw = {"chunk_seconds": 2.0, "overlap_seconds": 0.5}
    out, seen = _collect(path, StreamCrop(box="frame", size=(16, 20)), **kw)
    assert out.detection_frames.size == 0 and not out.chunk_fallback.any()
    np.testing.assert_array_equal(out.chunk_boxes, [[0, 0, 330, 250]] * 3)
    np.testing.assert_array_equal(
        seen[1], Resizer(size=(16, 20)).transform(frames[None, 45:105])[0]
    )
    # "first": detection until the first face (frame 30), then that box to the end
    out, seen = _collect(path, StreamCrop(box="first", size=(24, 24), detect_every=0.5), **kw)
    assert out.detection_frames.tolist() == [0, 15, 30]
    box, _ = _expected_box(_documented_faces(frames, 15), [30], frames)
    assert out.chunk_fallback.tolist() == [True, False, False]
    np.testing.assert_array_equal(out.chunk_boxes[1:], [box, box])
    np.testing.assert_array_equal(seen[2], _crop(frames[60:120], box, (24, 24)))


def test_crop_on_read_holds_crops_not_frames(tmp_path):
    """640 x 480 frames, 2-s chunks (55 MB of decoded frames each): with the crop on read,
    the frames held are 24 x 24 crops; what is allocated at once is a few frames."""
    from lqrppg.video import StreamCrop

    data = make_synthetic_rppg(
        n_subjects=1, duration=1.0, fs=30.0, frame_size=(60, 80), random_state=3
    )
    import cv2

    big = np.stack([cv2.resize(f, (640, 480)) for f in data.videos[0]])
    path = write_video(tmp_path / "big.avi", np.tile(big, (6, 1, 1, 1)), 30.0)  # 6 s
    frame_bytes = 640 * 480 * 3
    tracemalloc.start()
    try:
        out = stream_predict(
            path,
            POS(fs=30.0).predict,
            chunk_seconds=2.0,
            overlap_seconds=0.5,
            crop=StreamCrop(size="mean"),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.waveform.shape == (180,) and np.all(np.isfinite(out.waveform))
    assert peak < 8 * frame_bytes < 60 * frame_bytes  # a chunk of frames would be 60


def test_stream_crop_errors(astronaut_file):
    from lqrppg.video import StreamCrop

    path, _ = astronaut_file

    def run(crop):
        return stream_predict(path, lambda c: np.zeros(c.shape[:2]), chunk_seconds=2.0, crop=crop)

    with pytest.raises(ValueError, match="crop must be a StreamCrop"):
        run("face")
    for params, match in [
        ({"box": "median"}, "box must be one of"),
        ({"size": (0, 4)}, "size must be 'mean' or a pair"),
        ({"size": "max"}, "size must be 'mean' or a pair"),
        ({"size": None}, "size must be 'mean' or a pair"),
        ({"detect_every": 0}, "detect_every"),
        ({"scale": -1.0}, "scale"),
        ({"detect_size": 10}, "detect_size"),
        ({"min_face_size": 0}, "min_face_size"),
        ({"min_neighbors": 0}, "min_neighbors"),
    ]:
        with pytest.raises(ValueError, match=match):
            run(StreamCrop(**params))


def test_tiling_chunks_end_on_the_last_frame():
    import math

    from lqrppg.video import tiling_chunk_frames

    for n in [*range(1, 400, 7), *range(850, 2000, 13), 9000, 54000]:
        length = tiling_chunk_frames(n, 900, 60, 160)
        if n <= 900:  # one chunk of the whole video (at least the shortest chunk)
            assert length == max(n, 160)
            continue
        assert 160 <= length <= 900
        step = length - 60
        n_chunks = math.ceil((n - 60) / step)
        assert n_chunks == math.ceil((n - 60) / (900 - 60))  # the fewest chunks
        end = (n_chunks - 1) * step + length
        assert 0 <= end - n < n_chunks  # the last chunk ends on the last frame, or a few past
    with pytest.raises(ValueError, match="overlap"):
        tiling_chunk_frames(100, 50, 50)


def test_tiled_chunks_predict_each_frame_once_but_for_overlaps(long_videos):
    from lqrppg.video import tiling_chunk_frames

    _, paths = long_videos  # 600 frames
    length = tiling_chunk_frames(600, 240, 30)
    seen = []

    def predict(clip):
        seen.append(clip.shape[1])
        return POS(fs=30.0).predict(clip)

    out = stream_predict(paths[0], predict, chunk_seconds=length / 30.0, overlap_seconds=1.0)
    assert length == 220 and out.starts.tolist() == [0, 190, 380] and sum(seen) == 660
