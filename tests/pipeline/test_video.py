"""lqrppg.predict_video / predict_frames: one call from a video to a result."""

from __future__ import annotations

import json
import sys

import cv2
import numpy as np
import pandas as pd
import pytest

from lqrppg import predict_frames, predict_video
from lqrppg.cli import main
from lqrppg.datasets import make_synthetic_rppg
from lqrppg.pipeline import VideoResult
from lqrppg.video import write_video

COLUMNS = ["start_s", "end_s", "hr_bpm", "snr_db", "confidence", "mean_nn_ms", "respiration_bpm"]


def _synthetic(seed: int, duration: float, size=(120, 160)):
    data = make_synthetic_rppg(
        n_subjects=1, duration=duration, frame_size=size, label_noise="none", random_state=seed
    )
    return data.videos[0], float(data.hr[0].mean()), data.fs


@pytest.fixture(scope="module")
def video_640(tmp_path_factory):
    """12 s of a synthetic face at 640x480 (made at 160x120 and enlarged), Motion-JPEG."""
    frames, hr, fs = _synthetic(0, 12.0)
    big = np.stack([cv2.resize(f, (640, 480), interpolation=cv2.INTER_LINEAR) for f in frames])
    return str(write_video(tmp_path_factory.mktemp("v") / "face640.avi", big, fs)), hr


@pytest.fixture(scope="module")
def small_video(tmp_path_factory):
    """12 s of a synthetic face at 160x120, lossless FFV1."""
    frames, hr, fs = _synthetic(0, 12.0)
    return str(write_video(tmp_path_factory.mktemp("v") / "face160.mkv", frames, fs)), hr


@pytest.fixture(scope="module")
def two_faces(tmp_path_factory):
    """Two subjects side by side (left seed 0, right seed 5), 12 s at 320x120."""
    left, hr_left, fs = _synthetic(0, 12.0)
    right, hr_right, _ = _synthetic(5, 12.0)
    assert abs(hr_left - hr_right) > 15  # different enough to tell which face was measured
    both = np.concatenate([left, right], axis=2)  # (T, 120, 320, 3)
    path = write_video(tmp_path_factory.mktemp("v") / "two.mkv", both, fs)
    return str(path), hr_left, hr_right


@pytest.mark.parametrize("method", ["pos", "lqrppg"])
def test_hr_of_a_640x480_file(video_640, method):
    path, hr_true = video_640
    result = predict_video(path, method=method, progress=False)
    assert result.reliable and abs(result.hr - hr_true) < 2.0, result
    assert result.method == {"pos": "POS", "lqrppg": "LQ-rPPG"}[method]
    assert result.n_frames == 360 and result.fps == 30.0
    assert result.waveform.shape == result.filtered.shape == result.timestamps.shape == (360,)
    # one 10 s window tiles 12 s once; its columns and types as documented
    assert list(result.windows.columns) == COLUMNS
    assert result.windows.shape == (1, 7)
    assert result.windows.loc[0, "end_s"] - result.windows.loc[0, "start_s"] == 10.0
    # the face was found at every detection instant (once per second) and is the only one
    assert result.faces["detection_frames"] == list(range(0, 360, 30))
    assert all(b is not None for b in result.faces["boxes"]) and result.faces["n_faces"] == 1


def test_window_step_gives_overlapping_windows(small_video):
    path, _ = small_video
    result = predict_video(path, method="pos", window=4, step=2, progress=False)
    assert result.windows["start_s"].tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]


def test_json_round_trip_and_equal_to_the_command_line(small_video, tmp_path, capsys):
    path, _ = small_video
    result = predict_video(path, method="pos", progress=False)
    data = json.loads(result.to_json())
    back = VideoResult.from_dict(data)
    assert back.hr == result.hr and back.confidence == result.confidence
    np.testing.assert_array_equal(back.waveform, result.waveform)
    pd.testing.assert_frame_equal(back.windows, result.windows)
    assert back.to_dict() == data
    # lqrppg predict --json writes the same fields and values (but for the wall time)
    out = tmp_path / "r.json"
    assert main(["predict", path, "--method", "pos", "--json", str(out), "--quiet"]) == 0
    written = json.loads(out.read_text())
    for d in (written, data):
        d.pop("elapsed_s")
    assert written == data
    # --json - prints the JSON alone on stdout (the report goes to stderr)
    capsys.readouterr()
    assert main(["predict", path, "--method", "pos", "--json", "-", "--quiet"]) == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    printed.pop("elapsed_s")
    assert printed == data and "heart rate (whole video)" in captured.err


def test_windows_csv(small_video, tmp_path):
    path, _ = small_video
    table = tmp_path / "w.csv"
    assert main(["predict", path, "--method", "pos", "--window", "4", "--windows", str(table),
                 "--quiet"]) == 0  # fmt: skip
    rows = pd.read_csv(table)
    assert list(rows.columns) == COLUMNS
    assert len(rows) == 3


def test_frames_in_memory_equal_the_file(tmp_path):
    frames, hr_true, fs = _synthetic(0, 12.0, size=(64, 64))
    path = write_video(tmp_path / "f.mkv", frames, fs)  # lossless: the same frames decoded
    before = frames.copy()
    in_memory = predict_frames(frames, fs, method="chrom")
    from_file = predict_video(path, method="chrom", progress=False)
    np.testing.assert_array_equal(frames, before)  # the input is not modified
    np.testing.assert_allclose(in_memory.waveform, from_file.waveform, rtol=0, atol=1e-12)
    assert in_memory.hr == from_file.hr and abs(in_memory.hr - hr_true) < 2.0
    assert in_memory.source == "<frames in memory>"
    assert in_memory.faces["boxes"] == from_file.faces["boxes"]


def test_no_face_gives_no_number_and_says_why(tmp_path):
    rng = np.random.default_rng(0)
    noise = rng.integers(90, 110, (300, 48, 64, 3), dtype=np.uint8)
    result = predict_frames(noise, 30.0, method="pos")
    assert not result.reliable and np.isnan(result.hr) and result.confidence == "none"
    assert result.reason.startswith("no face found in any of the")
    assert result.windows["hr_bpm"].isna().all()
    assert (result.windows["confidence"] == "none").all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "nope"}, "method must be one of"),
        ({"method": "pos", "model": "m.pt"}, "model is only used with method='lqrppg'"),
        ({"window": 0}, "window must be a positive number"),
        ({"band": (0.7, 3.0)}, "look like Hz"),
        ({"face": False, "face_index": 1}, "face_index needs face=True"),
        ({"face_index": -1}, "face_index must be None or an integer >= 0"),
        ({"min_snr": float("nan")}, "min_snr must be a number"),
        ({"window": 60}, "shorter than the heart-rate window"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, message):
    frames = np.zeros((300, 32, 32, 3), dtype=np.uint8)
    kwargs = {"method": "pos", **kwargs}
    with pytest.raises(ValueError, match=message):
        predict_frames(frames, 30.0, **kwargs)


def test_bad_frames_are_a_clear_error():
    with pytest.raises(ValueError, match=r"shape \(T, H, W, 3\) and dtype uint8"):
        predict_frames(np.zeros((10, 8, 8, 3), dtype=np.float32), 30.0)


def test_two_faces_are_reported_and_face_index_picks_one(two_faces, capsys):
    path, hr_left, hr_right = two_faces
    left = predict_video(path, method="pos", face_index=0, progress=False)
    right = predict_video(path, method="pos", face_index=1, progress=False)
    assert left.faces["n_faces"] == right.faces["n_faces"] == 2
    assert abs(left.hr - hr_left) < 3.0, (left, hr_left)
    assert abs(right.hr - hr_right) < 3.0, (right, hr_right)
    # the followed face is on its side of the frame
    assert all(b[0] + b[2] / 2 < 160 for b in left.faces["boxes"])
    assert all(b[0] + b[2] / 2 > 160 for b in right.faces["boxes"])
    # the command line says how many faces it saw and which one it follows
    assert main(["predict", path, "--method", "pos", "--face-index", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "faces: up to 2 found at one detection frame; face 1 from the left" in out
    # a third face that is not there: no number, and the reason
    third = predict_video(path, method="pos", face_index=2, progress=False)
    assert not third.reliable and "at most 2 face(s)" in third.reason


class _Events:
    """A text stream that logs what is written, in order with the frames read."""

    def __init__(self, events, name):
        self.events, self.name = events, name

    def write(self, text):
        if text.strip():
            self.events.append((self.name, text))

    def flush(self):
        pass

    def isatty(self):
        return False


def test_header_and_progress_come_before_the_last_chunk_is_read(tmp_path, monkeypatch):
    """A reader that logs every frame it yields: the command's header (stdout) and its
    first progress line (stderr) are written before any frame of the last chunk is read."""
    import lqrppg.video._io as io

    frames, _, fs = _synthetic(0, 40.0, size=(64, 64))
    path = write_video(tmp_path / "long.mkv", frames, fs)
    events: list = []
    real = io._frame_reader

    def logged(*args, **kwargs):
        for i, item in enumerate(real(*args, **kwargs)):
            events.append(("frame", i))
            yield item

    monkeypatch.setattr(io, "_frame_reader", logged)
    monkeypatch.setattr(sys, "stdout", _Events(events, "stdout"))
    monkeypatch.setattr(sys, "stderr", _Events(events, "stderr"))
    code = main(["predict", str(path), "--method", "pos", "--chunk", "10"])
    monkeypatch.undo()
    assert code == 0
    # 1200 frames in 10 s chunks overlapping by 2 s: chunks at 0, 240, 480, 720 and a short
    # one at 960 (completed from 900)
    first_of_last = next(k for k, e in enumerate(events) if e == ("frame", 960))
    header = next(k for k, e in enumerate(events) if e[0] == "stdout")
    progress = [k for k, e in enumerate(events) if e[0] == "stderr" and "chunks" in e[1]]
    assert "long.mkv: 64x64, 30 fps, 1200 frames" in events[header][1]
    assert header < events.index(("frame", 0)) < first_of_last
    assert len(progress) == 6 and progress[1] < first_of_last  # one chunk done, not the last
    assert "0/5 chunks" in events[progress[0]][1] and "1/5 chunks" in events[progress[1]][1]
    assert "5/5 chunks" in events[progress[-1]][1]
    # --quiet: no progress line at all
    events.clear()
    monkeypatch.setattr(sys, "stdout", _Events(events, "stdout"))
    monkeypatch.setattr(sys, "stderr", _Events(events, "stderr"))
    assert main(["predict", str(path), "--method", "pos", "--chunk", "10", "--quiet"]) == 0
    monkeypatch.undo()
    assert not [e for e in events if e[0] == "stderr" and "chunks" in e[1]]


def test_progress_callable():
    frames, _, fs = _synthetic(0, 25.0, size=(48, 48))
    calls = []
    predict_frames(frames, fs, method="green", chunk=10, progress=lambda *a: calls.append(a))
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_beats_and_respiration_where_reliable_hrv_withheld():
    data = make_synthetic_rppg(
        n_subjects=1, duration=40, frame_size=(64, 64), label_noise="none", random_state=0
    )
    result = predict_frames(data.videos[0], data.fs, method="pos")
    assert result.reliable
    phys = result.physiology
    beats, variability, breathing = phys["beats"], phys["hrv"], phys["respiration"]
    # every true beat (the generator's) has a detected beat, flagged ones included
    true = data.beat_times[0]
    true = true[(true > 1) & (true < 39)]
    found = np.asarray(beats["times_s"])
    assert np.max(np.min(np.abs(true[:, None] - found[None]), axis=1)) < 0.25
    assert len(beats["quality"]) == beats["n_beats"] == len(found)
    if variability["mean_nn_ms"] is not None and np.isfinite(variability["mean_nn_ms"]):
        assert abs(variability["mean_hr_bpm"] - data.hr[0]) < 3.0
    else:
        assert variability["reasons"]["mean_nn_ms"]
    # SDNN and the rest: never a number from a camera waveform, always the reason
    for key in ("sdnn_ms", "rmssd_ms", "pnn50", "lf_hf"):
        assert variability[key] is None and "not given from camera" in variability["reasons"][key]
    if breathing["value"] is not None and np.isfinite(breathing["value"]):
        assert abs(breathing["value"] - 60 * data.breathing_rate[0]) < 3.0  # Hz -> per minute
    else:
        assert breathing["reason"]
    # the JSON carries them
    back = json.loads(result.to_json())["physiology"]
    assert back["beats"]["n_beats"] == beats["n_beats"]


def test_no_reliable_hr_gives_no_beats_or_respiration():
    rng = np.random.default_rng(1)
    noise = rng.integers(90, 110, (300, 48, 64, 3), dtype=np.uint8)
    phys = predict_frames(noise, 30.0, method="pos", face=False).physiology
    assert phys["beats"] == {} and phys["respiration"]["value"] is None
    assert "no reliable heart rate" in phys["respiration"]["reason"]


def test_a_cut_video_is_reported_with_the_seconds_missing(small_video, tmp_path, capsys):
    path, _ = small_video
    cut = tmp_path / "cut.mkv"
    data = open(path, "rb").read()
    cut.write_bytes(data[: len(data) * 2 // 3])
    from lqrppg.exceptions import TruncatedVideoWarning

    with pytest.warns(TruncatedVideoWarning):
        result = predict_video(cut, method="pos", window=2, progress=False)
    missing = 360 - result.n_frames
    assert missing > 30
    assert any(f"the last {missing / 30:.1f} s ({missing} frames) are missing" in w
               for w in result.warnings)  # fmt: skip
    main(["predict", str(cut), "--method", "pos", "--window", "2", "--quiet"])
    err = capsys.readouterr().err
    assert f"the last {missing / 30:.1f} s ({missing} frames) are missing" in err
    assert "Traceback" not in err


def test_window_physiology_only_where_the_window_hr_is_reliable():
    data = make_synthetic_rppg(
        n_subjects=1, duration=40, frame_size=(64, 64), label_noise="none", random_state=0
    )
    result = predict_frames(data.videos[0], data.fs, method="pos", window=10)
    assert np.isfinite(result.windows["hr_bpm"]).sum() >= 3  # the face is found
    table = result.windows
    unreliable = ~np.isfinite(table["hr_bpm"])
    assert table.loc[unreliable, ["mean_nn_ms", "respiration_bpm"]].isna().all().all()
    assert table["respiration_bpm"].isna().all()  # 10 s windows: too short for breathing
    given = np.isfinite(table["mean_nn_ms"])
    for start, end, nn in zip(table["start_s"][given], table["end_s"][given],
                              table["mean_nn_ms"][given], strict=True):  # fmt: skip
        truth = data.hr_instantaneous[0, int(start * 30) : int(end * 30)].mean()
        assert abs(60000 / nn - truth) < 3.0, (start, nn, truth)
    long = predict_frames(data.videos[0], data.fs, method="pos", window=40)
    value = long.windows["respiration_bpm"].iloc[0]
    if np.isfinite(value):
        assert abs(value - 60 * data.breathing_rate[0]) < 3.0
