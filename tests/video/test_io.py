"""Reading and writing video files."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from lqrppg.video import iter_video_chunks, read_video, video_info, write_video

cv2 = pytest.importorskip("cv2")


@pytest.mark.parametrize(("ext", "tol"), [(".avi", 6.0), (".mp4", 8.0), (".mkv", 0.0)])
def test_round_trip_keeps_count_rate_shape_and_pixels(synthetic, synthetic_files, ext, tol):
    original = synthetic.videos[0]
    video = read_video(synthetic_files[ext])
    assert video.frames.shape == original.shape == (60, 64, 64, 3)
    assert video.frames.dtype == np.uint8
    assert video.fps == pytest.approx(30.0) and video.fps_source == "container"
    # Lossy codecs: mean absolute error of a few grey levels; FFV1 is lossless.
    err = np.abs(video.frames.astype(float) - original)
    assert err.mean() <= tol
    if tol == 0.0:
        np.testing.assert_array_equal(video.frames, original)
    # RGB order kept: the channel means match (a BGR mix-up would swap R and B).
    np.testing.assert_allclose(
        video.frames.mean(axis=(0, 1, 2)), original.mean(axis=(0, 1, 2)), atol=max(tol, 0.5)
    )
    assert video.timestamp_source == "container"
    np.testing.assert_allclose(video.timestamps, np.arange(60) / 30.0, atol=1e-3)


def test_bgr_and_max_frames(synthetic_files):
    rgb = read_video(synthetic_files[".mkv"], max_frames=7)
    bgr = read_video(synthetic_files[".mkv"], max_frames=7, color="bgr")
    assert rgb.frames.shape[0] == 7 and rgb.timestamps.shape == (7,)
    np.testing.assert_array_equal(bgr.frames, rgb.frames[..., ::-1])


def test_fps_argument_overrides_container(synthetic_files):
    with pytest.warns(UserWarning, match=r"fps=25 overrides .* declares \(30 fps\)") as rec:
        video = read_video(synthetic_files[".mkv"], fps=25.0)
    assert rec[0].filename == __file__  # the warning points at the caller
    assert video.fps == 25.0 and video.fps_source == "argument"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same rate as the container's: nothing to say
        read_video(synthetic_files[".mkv"], fps=30.0)
    info = video_info(synthetic_files[".mkv"])
    assert (info.fps, info.height, info.width, info.n_frames_declared) == (30.0, 64, 64, 60)


@pytest.mark.parametrize(("chunk", "overlap"), [(16, 0), (16, 5), (60, 0), (25, 24), (100, 3)])
def test_chunks_reproduce_the_whole_read(synthetic_files, chunk, overlap):
    whole = read_video(synthetic_files[".avi"])
    chunks = list(iter_video_chunks(synthetic_files[".avi"], chunk, overlap=overlap))
    step = chunk - overlap
    assert [c.start for c in chunks] == list(range(0, step * len(chunks), step))
    assert all(len(c.frames) <= chunk for c in chunks)
    for c in chunks:
        n = len(c.frames)
        np.testing.assert_array_equal(c.frames, whole.frames[c.start : c.start + n])
        np.testing.assert_allclose(c.timestamps, whole.timestamps[c.start : c.start + n])
    # Every frame is in some chunk, and the last chunk ends on the last frame.
    assert chunks[-1].start + len(chunks[-1].frames) == len(whole.frames)
    # No chunk is made only of frames its predecessor already held.
    for a, b in itertools.pairwise(chunks):
        assert b.start + len(b.frames) > a.start + len(a.frames)


def test_chunks_with_max_frames(synthetic_files):
    chunks = list(iter_video_chunks(synthetic_files[".avi"], 8, overlap=2, max_frames=20))
    assert chunks[-1].start + len(chunks[-1].frames) == 20


def test_missing_file_is_file_not_found(tmp_path):
    missing = tmp_path / "nope.avi"
    with pytest.raises(FileNotFoundError, match=r"nope\.avi"):
        read_video(missing)
    with pytest.raises(FileNotFoundError, match=r"nope\.avi"):
        iter_video_chunks(missing, 10)
    with pytest.raises(FileNotFoundError, match=r"nope\.avi"):
        video_info(missing)


def test_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a file"):
        read_video(tmp_path)


def test_corrupt_file_gives_clear_error(tmp_path):
    bad = tmp_path / "corrupt.avi"
    bad.write_bytes(np.random.default_rng(0).bytes(20_000))
    with pytest.raises(ValueError, match=r"corrupt\.avi.*cannot|cannot.*corrupt\.avi"):
        read_video(bad)
    with pytest.raises(ValueError, match=r"corrupt\.avi"):
        next(iter_video_chunks(bad, 10))
    empty = tmp_path / "empty.avi"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.avi"):
        read_video(empty)


def test_zero_frame_video_gives_clear_error(tmp_path):
    path = tmp_path / "zero.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (32, 32))
    writer.release()  # a valid container with no frame in it
    assert path.stat().st_size > 0
    with pytest.raises(ValueError, match="no decodable frames"):
        read_video(path)
    with pytest.raises(ValueError, match="no decodable frames"):
        list(iter_video_chunks(path, 4))


def _capture_hiding(prop_hidden):
    """A VideoCapture stand-in whose container reports 0 for one property."""
    real = cv2.VideoCapture

    class Capture:
        def __init__(self, *args):
            self._cap = real(*args)

        def get(self, prop):
            return 0.0 if prop == prop_hidden else self._cap.get(prop)

        def __getattr__(self, name):
            return getattr(self._cap, name)

    return Capture


def test_unknown_fps_needs_the_argument(tmp_path, monkeypatch):
    path = write_video(tmp_path / "v.avi", np.full((4, 16, 16, 3), 50, np.uint8), fps=30.0)
    monkeypatch.setattr(cv2, "VideoCapture", _capture_hiding(cv2.CAP_PROP_FPS))
    with pytest.raises(ValueError, match=r"frame rate of .*v\.avi.* unknown.*fps="):
        read_video(path)
    video = read_video(path, fps=12.5)
    assert video.fps == 12.5 and video.frames.shape == (4, 16, 16, 3)


def test_timestamps_fall_back_to_frame_index(tmp_path, monkeypatch):
    path = write_video(tmp_path / "v.avi", np.full((5, 16, 16, 3), 50, np.uint8), fps=20.0)
    monkeypatch.setattr(cv2, "VideoCapture", _capture_hiding(cv2.CAP_PROP_POS_MSEC))
    video = read_video(path)
    assert video.timestamp_source == "frame_index"
    np.testing.assert_allclose(video.timestamps, np.arange(5) / 20.0)
    chunk = next(iter_video_chunks(path, 3))
    assert chunk.timestamp_source == "frame_index"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"chunk_frames": 0}, "chunk_frames"),
        ({"chunk_frames": 4, "overlap": 4}, "overlap"),
        ({"chunk_frames": 4, "overlap": -1}, "overlap"),
        ({"chunk_frames": 4.0}, "chunk_frames"),
        ({"chunk_frames": 4, "color": "hsv"}, "color"),
    ],
)
def test_chunk_argument_errors(synthetic_files, kwargs, match):
    with pytest.raises(ValueError, match=match):
        iter_video_chunks(synthetic_files[".avi"], **kwargs)


def test_read_argument_errors(synthetic_files):
    with pytest.raises(ValueError, match="max_frames"):
        read_video(synthetic_files[".avi"], max_frames=0)
    with pytest.raises(ValueError, match="color"):
        read_video(synthetic_files[".avi"], color="gray")
    with pytest.raises(ValueError, match="fps"):
        read_video(synthetic_files[".avi"], fps=0.0)


def test_write_errors(tmp_path):
    frames = np.zeros((2, 8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match="suffix"):
        write_video(tmp_path / "a.xyz", frames, 30.0)
    with pytest.raises(ValueError, match="uint8"):
        write_video(tmp_path / "a.avi", frames.astype(float), 30.0)
    with pytest.raises(ValueError, match=r"\(T, H, W, 3\)"):
        write_video(tmp_path / "a.avi", frames[0], 30.0)
    with pytest.raises(ValueError, match="fps"):
        write_video(tmp_path / "a.avi", frames, float("nan"))
    with pytest.raises(ValueError, match="four-character"):
        write_video(tmp_path / "a.avi", frames, 30.0, codec="MJPEG")
    with pytest.raises(FileNotFoundError, match="folder"):
        write_video(tmp_path / "missing" / "a.avi", frames, 30.0)


def test_write_does_not_modify_frames_and_lossless_codec_in_avi(tmp_path):
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 256, (6, 24, 32, 3), dtype=np.uint8)
    before = frames.copy()
    path = write_video(tmp_path / "lossless.avi", frames, 15.0, codec="FFV1")
    np.testing.assert_array_equal(frames, before)
    np.testing.assert_array_equal(read_video(path).frames, frames)


def test_cut_short_file_warns_with_the_missing_seconds(tmp_path, capfd):
    from lqrppg.exceptions import TruncatedVideoWarning
    from lqrppg.video import iter_video_chunks

    frames = np.random.default_rng(0).integers(0, 256, (120, 24, 24, 3), dtype=np.uint8)
    path = write_video(tmp_path / "v.avi", frames, 30.0)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.warns(TruncatedVideoWarning, match=r"decoded (\d+) of the 120 frames") as rec:
        video = read_video(path)
    assert video.n_frames_declared == 120
    assert video.n_frames_missing == 120 - len(video.frames) > 50
    assert f"{video.n_frames_missing / 30:.1f} s" in str(rec[0].message)
    with pytest.warns(TruncatedVideoWarning):
        n = sum(len(c.frames) for c in iter_video_chunks(path, 32))
    assert n == len(video.frames)
    # FFmpeg's own complaint about the broken file does not reach the terminal
    err = capfd.readouterr().err
    assert "@ 0x" not in err and "overread" not in err
    # a complete file: no warning, nothing missing
    full = write_video(tmp_path / "w.avi", frames, 30.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_video(full).n_frames_missing == 0


def test_background_reader_hands_over_items_errors_and_stops_early():
    from lqrppg.video._io import _in_background

    closed = []

    def produce(n, fail_at=None):
        try:
            for i in range(n):
                if i == fail_at:
                    raise ValueError(f"frame {i} cannot be decoded")
                yield i
        finally:
            closed.append(n)

    assert list(_in_background(produce(5))) == [0, 1, 2, 3, 4]
    got = []
    with pytest.raises(ValueError, match="frame 2 cannot be decoded"):
        for item in _in_background(produce(6, fail_at=2)):
            got.append(item)
    assert got == [0, 1]  # the items made before the error come first
    reader = _in_background(produce(100))
    assert next(reader) == 0
    reader.close()  # the consumer stops: the producer is stopped and its generator closed
    assert closed == [5, 6, 100]
