"""lqrppg.pipeline.live_updates and ``lqrppg live``, with file sources (no camera)."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

from lqrppg.cli import main
from lqrppg.datasets import make_synthetic_rppg
from lqrppg.pipeline import live_updates
from lqrppg.video import write_video


@pytest.fixture(scope="module")
def face_file(tmp_path_factory):
    """36 s of a synthetic face at 64x64 (lossless), its mean HR and breathing rate."""
    data = make_synthetic_rppg(
        n_subjects=1, duration=36, frame_size=(64, 64), label_noise="none", random_state=0
    )
    path = write_video(tmp_path_factory.mktemp("live") / "face.mkv", data.videos[0], data.fs)
    return str(path), data


def test_an_update_every_second_from_the_first_full_window(face_file):
    path, data = face_file
    updates = list(live_updates(path, window=10))
    assert [u.time_s for u in updates] == [float(t) for t in range(10, 37)]
    assert [u.frames for u in updates] == [30 * t for t in range(10, 37)]
    reliable = [u for u in updates if np.isfinite(u.hr_bpm)]
    assert len(reliable) >= 0.8 * len(updates)
    for u in reliable:  # each against the true mean rate of its own window
        end = u.frames
        truth = data.hr_instantaneous[0, end - 300 : end].mean()
        assert abs(u.hr_bpm - truth) < 3.0, (u, truth)
        assert u.face and u.confidence in ("high", "medium")
    # no respiration before 30 s of signal; after it only with a reliable HR
    assert all(np.isnan(u.respiration_bpm) for u in updates if u.time_s < 30)
    for u in updates:
        if np.isfinite(u.respiration_bpm):
            assert np.isfinite(u.hr_bpm)
            assert abs(u.respiration_bpm - 60 * data.breathing_rate[0]) < 3.0


def test_memory_does_not_grow_with_running_time(face_file):
    path, _ = face_file
    peaks = []
    for seconds in (31, 36):  # both past the 30 s from which respiration runs too
        tracemalloc.start()
        for _ in live_updates(path, max_seconds=seconds):
            pass
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] + 200_000, peaks  # colours kept, not frames (12 kB each)


def test_realtime_paces_a_file_at_its_frame_rate(face_file, monkeypatch):
    """A fake clock that advances only when the reader sleeps: 12 s of video take 12 s."""
    import lqrppg.pipeline._live as live

    now = [0.0]
    monkeypatch.setattr(live.time, "sleep", lambda s: now.__setitem__(0, now[0] + s))
    path, _ = face_file
    updates = list(live_updates(path, realtime=True, max_seconds=12, clock=lambda: now[0]))
    assert now[0] == pytest.approx(359 / 30, abs=0.01)  # the 360th frame is due at 11.97 s
    assert [u.time_s for u in updates] == [10.0, 11.0, 12.0]
    fast = [0.0]
    list(live_updates(path, max_seconds=12, clock=lambda: fast[0]))
    assert fast[0] == 0.0  # not paced: nothing slept


def test_no_face_gives_no_number(tmp_path):
    rng = np.random.default_rng(0)
    noise = rng.integers(90, 110, (360, 48, 64, 3), dtype=np.uint8)
    path = write_video(tmp_path / "noise.mkv", noise, 30.0)
    updates = list(live_updates(path))
    assert updates and all(np.isnan(u.hr_bpm) for u in updates)
    assert all(u.reason == "no face found in the last 10 s" for u in updates)


def test_bad_arguments(face_file):
    path, _ = face_file
    with pytest.raises(ValueError, match="unsupervised method"):
        next(live_updates(path, method="lqrppg"))
    with pytest.raises(ValueError, match="at least 2 s"):
        next(live_updates(path, window=1))
    with pytest.raises(FileNotFoundError):
        next(live_updates("missing.mkv"))
    # no SNR is at least NaN: a NaN gate would withhold every heart rate without a word
    for bad in (float("nan"), "3", True):
        with pytest.raises(ValueError, match=r"^min_snr must be a number of dB \(-inf: every"):
            next(live_updates(path, min_snr=bad))


def test_command_json_lines_and_summary(face_file, capsys):
    path, _ = face_file
    code = main(["live", "--source", path, "--max-seconds", "13", "--json-lines"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert [d["time_s"] for d in lines[:-1]] == [10.0, 11.0, 12.0, 13.0]
    assert set(lines[0]) >= {"time_s", "hr_bpm", "snr_db", "confidence", "latency_s"}
    assert lines[-1]["summary"]["updates"] == 4


def test_command_ctrl_c_prints_the_summary(face_file, monkeypatch, capsys):
    import lqrppg.pipeline as pipeline

    real = pipeline.live_updates

    def interrupted(*args, **kwargs):
        for k, update in enumerate(real(*args, **kwargs)):
            if k == 2:
                raise KeyboardInterrupt
            yield update

    monkeypatch.setattr(pipeline, "live_updates", interrupted)
    path, _ = face_file
    assert main(["live", "--source", path]) == 0
    out = capsys.readouterr().out
    assert "summary: 2 updates, 2 with a reliable heart rate" in out
    assert "Traceback" not in out


def test_command_bad_source_exits_2(tmp_path, capsys):
    assert main(["live", "--source", str(tmp_path / "missing.mkv")]) == 2
    assert "video file not found" in capsys.readouterr().err
    assert main(["live", "--camera", "0", "--realtime"]) == 2


def test_paced_file_gives_predicts_window_hr_and_the_first_estimate_in_time(face_file, monkeypatch):
    """Issue 14: a file paced in real time (fake clock) gives the HR of `predict_video`'s
    window ending at the same frame within 1 bpm; the first estimate comes within window
    + 1 s of the start."""
    import lqrppg.pipeline._live as live
    from lqrppg.pipeline import predict_video

    now = [0.0]
    monkeypatch.setattr(live.time, "sleep", lambda s: now.__setitem__(0, now[0] + s))
    path, _ = face_file
    arrivals = []
    for update in live_updates(path, realtime=True, clock=lambda: now[0]):
        arrivals.append((now[0], update))
    assert arrivals[0][0] <= 10.0 + 1.0
    assert all(u.behind_s == 0.0 for _, u in arrivals)  # the fake computing takes no time
    windows = predict_video(path, method="pos", window=10, step=1, progress=False).windows
    by_end = dict(zip(windows["end_s"], windows["hr_bpm"], strict=True))
    compared = [(u.hr_bpm, by_end[u.time_s]) for _, u in arrivals if u.time_s in by_end]
    assert len(compared) >= 25
    for got, want in compared:
        assert abs(got - want) < 1.0, (got, want)
