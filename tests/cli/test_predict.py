"""`lqrppg predict` end to end on synthetic video files, and its error paths."""

from __future__ import annotations

import re
import sys
import types

import numpy as np
import pandas as pd
import pytest

from lqrppg.baselines import POS
from lqrppg.cli import main
from lqrppg.datasets import make_synthetic_rppg
from lqrppg.video import write_video

FPS = 30.0


def _write(folder, name: str, seed: int, duration: float = 20.0, size: int = 64):
    data = make_synthetic_rppg(
        n_subjects=1,
        duration=duration,
        frame_size=(size, size),
        label_noise="none",
        random_state=seed,
    )
    path = write_video(folder / name, data.videos[0], data.fs)  # .mkv: lossless FFV1
    return str(path), float(data.hr[0])


@pytest.fixture(scope="module")
def face_video(tmp_path_factory):
    """20 s at 64x64 on which the Haar cascade finds the face (seed 0)."""
    return _write(tmp_path_factory.mktemp("videos"), "face.mkv", seed=0)


@pytest.fixture(scope="module")
def faceless_video(tmp_path_factory):
    """20 s at 64x64 on which the Haar cascade finds no face (seed 1)."""
    return _write(tmp_path_factory.mktemp("videos"), "noface.mkv", seed=1)


def _whole_hr(out: str) -> float:
    match = re.search(r"heart rate \(whole video\): ([\d.]+) bpm", out)
    assert match, out
    return float(match.group(1))


def _table(out: str) -> list[list[str]]:
    header = re.search(r"start_s\s+end_s\s+hr_bpm\s+snr_db\s+confidence.*\n", out)
    lines = out[header.end() :].splitlines()
    rows = []
    for line in lines:
        if not re.match(r"\s+\d", line):
            break
        rows.append(line.split())
    return rows


def test_pos_end_to_end(face_video, tmp_path, capsys):
    path, hr_true = face_video
    csv, png = tmp_path / "wave.csv", tmp_path / "plot.png"
    code = main(["predict", path, "--method", "pos", "--out", str(csv), "--plot", str(png)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert abs(_whole_hr(captured.out) - hr_true) < 3.0
    assert "no face found" not in captured.err
    assert re.search(r"face: found on (\d+) of \1 detection frames", captured.out)
    # Two tiling 10 s windows, each near the truth with a confidence label.
    rows = _table(captured.out)
    assert [r[:2] for r in rows] == [["0.0", "10.0"], ["10.0", "20.0"]]
    for row in rows:
        assert abs(float(row[2]) - hr_true) < 3.0
        assert row[4] in {"high", "medium", "low"}
    wave = pd.read_csv(csv)
    assert list(wave.columns) == ["time_s", "waveform", "filtered"]
    assert len(wave) == 600
    assert np.all(np.diff(wave["time_s"]) > 0)
    assert np.isfinite(wave.to_numpy()).all()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(csv.resolve()) in captured.out and str(png.resolve()) in captured.out


def test_streams_in_overlapping_chunks(face_video, capsys):
    path, hr_true = face_video
    args = ["--method", "pos", "--chunk", "6", "--window", "5", "--step", "2.5"]
    code = main(["predict", path, *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert re.search(r"\d+ chunks of 6\.0 s overlapping by 1\.5 s", captured.out)
    assert abs(_whole_hr(captured.out) - hr_true) < 3.0
    rows = _table(captured.out)
    assert len(rows) == 7  # windows starting at 0, 2.5, ..., 15 s
    assert np.median([abs(float(r[2]) - hr_true) for r in rows]) < 3.0


def test_no_face_in_any_chunk_exits_1_with_the_reason(faceless_video, capsys):
    path, _ = faceless_video
    code = main(["predict", path, "--method", "pos"])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "error: no face found in any of the 1 chunks" in captured.err
    assert "pass --no-face" in captured.err
    assert "heart rate (whole video)" not in captured.out  # no number for a faceless video
    assert "Traceback" not in captured.err


def test_centre_fallback_in_some_chunks_warns_and_still_finds_hr(
    face_video, faceless_video, tmp_path, capsys
):
    # 10 s without a face, then 20 s of another subject with one: the first chunks fall back
    # to the centre (a chunk's box comes from the detections up to its first frame), the
    # windows of the face part still get its HR.
    from lqrppg.video import read_video

    face, hr_true = face_video
    frames = np.concatenate([read_video(faceless_video[0]).frames[:300], read_video(face).frames])
    path = write_video(tmp_path / "half.mkv", frames, FPS)
    main(["predict", str(path), "--method", "pos", "--chunk", "10"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    spans = r"\(0.0-10.0 s, 8.0-18.0 s\)"
    assert re.search(rf"warning: no face found in 2 of \d+ chunks {spans}", captured.err)
    assert "centred square of the frame" in captured.err
    late = [float(row[2]) for row in _table(captured.out) if float(row[0]) >= 20.0]
    assert late and all(abs(hr - hr_true) < 3.0 for hr in late), captured.out


def test_no_face_option(faceless_video, capsys):
    path, hr_true = faceless_video
    assert main(["predict", path, "--no-face", "--method", "chrom"]) == 0
    captured = capsys.readouterr()
    assert "not cropped (--no-face)" in captured.out
    assert "no face found" not in captured.err
    assert abs(_whole_hr(captured.out) - hr_true) < 3.0


def _fails(argv, capsys, *expected) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    for text in expected:
        assert text in captured.err, captured.err


def test_missing_and_unreadable_video(tmp_path, capsys):
    _fails(["predict", str(tmp_path / "nope.mp4")], capsys, "error: video file not found")
    corrupt = tmp_path / "corrupt.mkv"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, np.uint8).tobytes())
    _fails(["predict", str(corrupt)], capsys, "error:", "corrupt.mkv")
    text = tmp_path / "notes.avi"
    text.write_text("not a video\n" * 100)
    _fails(["predict", str(text)], capsys, "error:", "notes.avi")
    _fails(["predict", str(tmp_path)], capsys, "error:", "is not a file")


def test_video_shorter_than_window(tmp_path, capsys):
    path, _ = _write(tmp_path, "short.mkv", seed=3, duration=6.0, size=32)
    _fails(
        ["predict", path, "--method", "pos"],
        capsys,
        "the video is 6.0 s long (180 frames), shorter than the heart-rate window",
        "--window 6 or less",
    )


def test_bad_arguments(face_video, tmp_path, capsys):
    path, _ = face_video
    with pytest.raises(SystemExit) as exc:
        main(["predict", path, "--method", "magic"])
    assert exc.value.code == 2
    assert "invalid choice: 'magic'" in capsys.readouterr().err
    _fails(["predict", path, "--band", "0.75", "2.5"], capsys, "did you mean 45 150?")
    _fails(["predict", path, "--model", "m.pt", "--method", "pos"], capsys, "--model is only")
    _fails(["predict", path, "--out", str(tmp_path / "no" / "w.csv")], capsys, "--out: folder")
    _fails(["predict", path, "--window", "0"], capsys, "--window must be a positive")


def test_lqrppg_unavailable_in_this_build(face_video, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "lqrppg.models", None)  # import fails, as before the model
    path, _ = face_video
    _fails(
        ["predict", path, "--method", "lqrppg", "--model", "model.pt"],
        capsys,
        "the lqrppg model is not available in this build",
        "use --method pos",
    )


class _FakeModel:
    """Stands in for a fitted LQRPPGRegressor: POS on clips of its own T and frame size."""

    n_frames_ = 90
    frame_shape_ = (16, 16)
    fs = FPS

    def __init__(self):
        self.shapes = []

    def predict(self, X):
        self.shapes.append(np.shape(X))
        return POS(fs=FPS).predict(X)


@pytest.fixture
def fake_models(monkeypatch):
    model = _FakeModel()
    module = types.ModuleType("lqrppg.models")
    module.LQRPPGRegressor = types.SimpleNamespace(
        load=lambda path: model, pretrained=lambda: model
    )
    monkeypatch.setitem(sys.modules, "lqrppg.models", module)
    return model


def test_lqrppg_hook_predicts_per_model_clip(face_video, fake_models, tmp_path, capsys):
    path, hr_true = face_video
    saved = tmp_path / "model.pt"
    saved.write_bytes(b"weights")
    assert main(["predict", path, "--model", str(saved)]) == 0  # --model implies lqrppg
    captured = capsys.readouterr()
    assert "method LQ-rPPG" in captured.out
    assert abs(_whole_hr(captured.out) - hr_true) < 3.0
    # The video is one 600-frame chunk, cut into 90-frame clips of 16x16 face crops.
    assert fake_models.shapes == [(7, 90, 16, 16, 3)]


def test_lqrppg_defaults_to_the_pretrained_weights(face_video, fake_models, capsys):
    path, hr_true = face_video
    assert main(["predict", path]) == 0
    captured = capsys.readouterr()
    assert "method LQ-rPPG, pretrained weights 'synthetic-32'" in captured.out
    assert "clips of 90 frames at 16x16" in captured.out
    assert abs(_whole_hr(captured.out) - hr_true) < 3.0


def test_missing_pretrained_weights_are_a_clear_error(face_video, monkeypatch, capsys):
    def missing():
        raise FileNotFoundError("the pretrained weights 'synthetic-32' are missing")

    module = types.ModuleType("lqrppg.models")
    module.LQRPPGRegressor = types.SimpleNamespace(pretrained=missing)
    monkeypatch.setitem(sys.modules, "lqrppg.models", module)
    path, _ = face_video
    _fails(["predict", path], capsys, "cannot load the pretrained LQ-rPPG weights", "--method pos")


def test_lqrppg_needs_an_existing_model_file(face_video, fake_models, tmp_path, capsys):
    path, _ = face_video
    missing = str(tmp_path / "missing.pt")
    _fails(["predict", path, "--model", missing], capsys, "model file not found")


def test_default_is_the_shipped_pretrained_model(face_video, capsys):
    """No --method, no --model: the pretrained LQ-rPPG weights, face crops resized to 32x32."""
    path, hr_true = face_video
    assert main(["predict", path]) == 0
    captured = capsys.readouterr()
    assert "method LQ-rPPG, pretrained weights 'synthetic-32'" in captured.out
    assert "clips of 160 frames at 32x32" in captured.out
    assert abs(_whole_hr(captured.out) - hr_true) < 3.0


def test_min_snr_decides_whether_a_number_is_given(face_video, tmp_path, capsys):
    path, _ = face_video
    assert main(["predict", path, "--method", "pos"]) == 0
    capsys.readouterr()
    # Nothing is that clean: the same video gets no number, and exit code 1.
    assert main(["predict", path, "--method", "pos", "--min-snr", "60"]) == 1
    out = capsys.readouterr().out
    assert "heart rate (whole video): no reliable heart rate (SNR" in out
    assert "below --min-snr 60 dB" in out
    assert all(row[2] == "-" for row in _table(out))  # no window HR either
    # A video of noise: no reliable HR by default; every estimate with --min-snr -inf.
    rng = np.random.default_rng(0)
    noise = write_video(
        tmp_path / "noise.mkv", rng.integers(90, 110, (450, 24, 24, 3), np.uint8), FPS
    )
    assert main(["predict", str(noise), "--method", "green", "--no-face"]) == 1
    assert "no reliable heart rate" in capsys.readouterr().out
    assert main(["predict", str(noise), "--method", "green", "--no-face", "--min-snr=-inf"]) == 0
    assert re.search(r"heart rate \(whole video\): [\d.]+ bpm", capsys.readouterr().out)


def test_auto_method_on_a_video(face_video, capsys):
    path, hr_true = face_video
    assert main(["predict", path, "--method", "auto"]) == 0
    captured = capsys.readouterr()
    assert "method Auto" in captured.out
    assert abs(_whole_hr(captured.out) - hr_true) < 3.0


class _FirstBoxModel(_FakeModel):
    """A model whose preprocessing is one face box from the start (the authors' models)."""

    def __init__(self):
        super().__init__()
        self.metadata_ = {"preprocessing": {"face_detection": "first", "box_scale": 1.2}}


def test_models_with_one_box_from_the_start_get_it(face_video, monkeypatch, capsys):
    model = _FirstBoxModel()
    module = types.ModuleType("lqrppg.models")
    module.LQRPPGRegressor = types.SimpleNamespace(load=lambda path: model, pretrained=None)
    monkeypatch.setitem(sys.modules, "lqrppg.models", module)
    path, hr_true = face_video
    assert main(["predict", path, "--model", path, "--chunk", "8"]) == 0
    out = capsys.readouterr().out
    match = re.search(
        r"face: box (\d+)x\1 at \((\d+), (\d+)\) from frame 0, kept for the whole", out
    )
    assert match and "enlarged 1.2x" in out, out
    # The first frame's face enlarged 1.2 times, as FaceCropper(detect="first") finds it (the
    # 64-px frames are below the 160-px detection size, so they are searched as they are).
    from lqrppg.video import FaceCropper, read_video

    frames = read_video(path).frames
    box = FaceCropper(detect="first", scale=1.2).detect_boxes(frames[None, :1]).boxes[0, 0]
    side, x0, y0 = (int(v) for v in match.groups())
    assert (x0, y0, side, side) == tuple(box)
    assert all(s[1:] == (90, 16, 16, 3) for s in model.shapes)
    assert abs(_whole_hr(out) - hr_true) < 3.0


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["predict", "v.mp4", "--min-snr", "nan"],
         "lqrppg predict: error: --min-snr must be a number of dB (-inf: every estimate)"),
        (["predict", "v.mp4", "--step", "-1"],
         "lqrppg predict: error: --step must be a positive number of seconds; got -1"),
        (["predict", "v.mp4", "--chunk", "inf"],
         "lqrppg predict: error: --chunk must be a positive number of seconds; got inf"),
        (["live", "--source", "v.mp4", "--min-snr", "nan"],
         "lqrppg live: error: --min-snr must be a number of dB (-inf: every estimate)"),
        (["evaluate", "--dataset", "pure", "--path", "none", "--min-snr", "nan"],
         "lqrppg evaluate: error: --min-snr must be a number of dB (-inf: keep every estimate)"),
        (["evaluate", "--dataset", "pure", "--path", "none", "--window", "0"],
         "lqrppg evaluate: error: --window must be a positive number of seconds; got 0"),
    ],
)  # fmt: skip
def test_seconds_and_min_snr_are_checked_before_any_file(argv, line, tmp_path, capsys):
    # The library's rules (pipeline._video._check_seconds, _check_min_snr), the CLI's words;
    # checked before the video or dataset is looked for (neither exists here).
    assert main(argv) == 2
    assert capsys.readouterr().err == line + "\n"
