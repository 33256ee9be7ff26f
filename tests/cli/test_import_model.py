"""`lqrppg import-model`, then `predict --model` with the imported model, end to end."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from lqrppg.cli import main
from lqrppg.datasets import make_synthetic_rppg
from lqrppg.models import LQRPPGRegressor
from lqrppg.video import write_video

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def video_640(tmp_path_factory):
    """6 s of a synthetic face at 640x480 (made at 160x120 and enlarged, for speed)."""
    data = make_synthetic_rppg(
        n_subjects=1, duration=6.0, frame_size=(120, 160), label_noise="none", random_state=0
    )
    frames = np.stack(
        [cv2.resize(f, (640, 480), interpolation=cv2.INTER_LINEAR) for f in data.videos[0]]
    )
    path = write_video(tmp_path_factory.mktemp("v") / "face640.mkv", frames, data.fs)
    return str(path), float(data.hr[0])


@pytest.fixture(scope="module")
def imported(authors_release, tmp_path_factory):
    out = tmp_path_factory.mktemp("m") / "ubfc.pt"
    assert main(["import-model", str(authors_release), "--protocol", "UBFC_UBFC",
                 "--out", str(out)]) == 0  # fmt: skip
    return out


def test_import_writes_model_and_card(imported, capsys):
    model = LQRPPGRegressor.load(imported)
    assert model.architecture == "authors"
    assert (model.n_frames_, model.frame_shape_, model.fs) == (160, (128, 128), 30.0)
    card = imported.with_suffix(".md").read_text()
    for text in ("UBFC-rPPG", "a9e78aeeae3c39fc90a927d20df94442c3433b46", "MIT", "research"):
        assert text in card
    # the SHA-256 of each of the six checkpoints and the config, each matching the release
    assert len(re.findall(r"`[0-9a-f]{64}` \| yes", card)) == 7


def test_predict_with_the_imported_model(imported, video_640, capsys):
    path, hr_true = video_640
    code = main(["predict", path, "--model", str(imported), "--window", "5"])
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert "clips of 160 frames at 128x128" in out
    assert re.search(r"face: box \d+x\d+ at \(\d+, \d+\) from frame 0, kept", out)
    match = re.search(r"heart rate \(whole video\): ([\d.]+) bpm", out)
    assert match, out
    # the authors' UBFC model reads this synthetic face's pulse (measured: within 1 bpm)
    assert abs(float(match.group(1)) - hr_true) < 3.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{tmp}/nowhere", "--protocol", "UBFC_UBFC"], "not a folder"),
        (["{tmp}", "--protocol", "UBFC_UBFC"], "holds no LQ-rPPG config"),
        (["{release}", "--protocol", "UBFC_XYZ"], "no config for protocol 'UBFC_XYZ'"),
    ],
)
def test_bad_input_exits_2(args, message, authors_release, tmp_path, capsys):
    argv = [a.format(tmp=tmp_path, release=authors_release) for a in args]
    code = main(["import-model", *argv, "--out", str(tmp_path / "m.pt")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "m.pt").exists()


def test_refuses_to_overwrite(imported, authors_release, capsys):
    code = main(["import-model", str(authors_release), "--protocol", "PURE_PURE",
                 "--out", str(imported)])  # fmt: skip
    assert code == 2 and "--overwrite" in capsys.readouterr().err


def test_evaluate_with_the_imported_model(imported, tmp_path, capsys):
    """A UBFC-rPPG-layout folder of two synthetic subjects, scored with the imported model."""
    data = make_synthetic_rppg(
        n_subjects=2, duration=8, frame_size=(64, 64), label_noise="mild", random_state=0
    )
    for k in range(2):
        folder = tmp_path / f"subject{k + 1}"
        folder.mkdir()
        write_video(folder / "vid.avi", data.videos[k], data.fs, codec="FFV1")
        t = np.arange(data.videos.shape[1]) / data.fs
        rows = [data.ppg[k], np.full(t.size, data.hr[k]), t]
        text = "\n".join(" ".join(f"{v:.9e}" for v in row) for row in rows)
        (folder / "ground_truth.txt").write_text(text + "\n")
    csv = tmp_path / "rows.csv"
    args = ["evaluate", "--dataset", "ubfc-rppg", "--path", str(tmp_path), "--model",
            str(imported), "--method", "lqrppg", "pos", "--out", str(csv), "--quiet"]  # fmt: skip
    code = main(args)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    import pandas as pd

    rows = pd.read_csv(csv)
    assert set(rows["method"]) == {"LQ-rPPG", "POS"}
    scored = rows[rows["method"] == "LQ-rPPG"]
    # subject2 of this seed has no face the Haar cascade finds: it is skipped, and counted
    assert list(scored["recording"]) == ["subject1"]
    assert abs(float(scored["hr_pred"].iloc[0]) - data.hr[0]) < 3.0
    assert "subject2" in captured.out + captured.err
