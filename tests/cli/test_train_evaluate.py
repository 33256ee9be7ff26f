"""`lqrppg train` and `lqrppg evaluate` end to end on a UBFC-rPPG-layout fixture."""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pandas as pd
import pytest

from lqrppg.cli import main
from lqrppg.datasets import make_synthetic_rppg
from lqrppg.video import write_video

#: Subjects of the fixture; the Haar cascade finds no face in subject2's video (seed 0).
N_SUBJECTS = 4
NO_FACE = "subject2"
TRAIN = [
    "--size", "16", "--chunk-length", "64", "--epochs", "2", "--dim", "16",
    "--quantizer-epochs", "1", "--threads", "1", "--quiet",
]  # fmt: skip


@pytest.fixture(scope="module")
def ubfc(tmp_path_factory):
    """UBFC-rPPG DATASET_2 layout: ``subject<k>/vid.avi`` + ``ground_truth.txt`` (10 s each)."""
    root = tmp_path_factory.mktemp("ubfc")
    data = make_synthetic_rppg(
        n_subjects=N_SUBJECTS,
        duration=10,
        frame_size=(64, 64),
        label_noise="mild",
        random_state=0,
    )
    for k in range(N_SUBJECTS):
        folder = root / f"subject{k + 1}"
        folder.mkdir()
        write_video(folder / "vid.avi", data.videos[k], data.fs, codec="FFV1")
        t = np.arange(data.videos.shape[1]) / data.fs
        lines = [data.ppg[k], np.full(t.size, data.hr[k]), t]
        text = "\n".join(" ".join(f"{v:.9e}" for v in row) for row in lines)
        (folder / "ground_truth.txt").write_text(text + "\n")
    hr = {f"subject{k + 1}": float(data.hr[k]) for k in range(N_SUBJECTS)}
    return root, hr


@pytest.fixture(scope="module")
def trained(ubfc, tmp_path_factory):
    """A model trained by the command, its summary CSV and the command's output."""
    root, _ = ubfc
    out = tmp_path_factory.mktemp("model")
    model, summary = out / "model.pt", out / "summary.csv"
    # capsys is function-scoped: capture this module-scoped run by hand.
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(
            ["train", "--dataset", "ubfc-rppg", "--path", str(root), "--out", str(model),
             "--summary", str(summary), *TRAIN]
        )  # fmt: skip
    return code, model, summary, stdout.getvalue(), stderr.getvalue()


def test_train_accounts_for_every_recording_and_saves_a_model(trained):
    from lqrppg import LQRPPGRegressor

    code, model, summary, out, err = trained
    assert code == 0, err
    assert "4 recordings (3 ok, 0 partial, 1 skipped); 12 clips made, 4 skipped" in out
    assert f"{NO_FACE}: skipped" in err and "no face" in err
    table = pd.read_csv(summary)
    assert len(table) == N_SUBJECTS
    assert (table.n_clips_made + table.n_clips_skipped == table.n_clips_expected).all()
    assert table.set_index("recording").loc[NO_FACE, "n_clips_made"] == 0
    est = LQRPPGRegressor.load(model)
    assert est.n_frames_ == 64 and tuple(est.frame_shape_) == (16, 16)
    assert est.fs == 30.0 and est.dim == 16 and est.random_state == 0
    assert len(est.history_) == 2
    assert re.search(r"best epoch [12] of 2", out)


def test_train_refuses_to_overwrite(trained, ubfc, capsys):
    root, _ = ubfc
    model = trained[1]
    before = model.read_bytes()
    args = ["train", "--dataset", "ubfc-rppg", "--path", str(root), "--out", str(model), *TRAIN]
    assert main(args) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert model.read_bytes() == before


def test_evaluate_model_and_baselines(trained, ubfc, tmp_path, capsys):
    root, hr = ubfc
    csv = tmp_path / "rows.csv"
    args = ["evaluate", "--dataset", "ubfc-rppg", "--path", str(root), "--model",
            str(trained[1]), "--method", "lqrppg", "pos", "--out", str(csv), "--quiet"]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    # Clips cover each recording whole (the last clip ends on the last frame).
    assert "3 ok, 0 partial, 1 skipped); 15 clips made, 5 skipped; 0 frames after" in out
    rows = pd.read_csv(csv)
    assert sorted(rows.method.unique()) == ["LQ-rPPG", "POS"]
    assert sorted(rows.recording.unique()) == ["subject1", "subject3", "subject4"]
    assert (rows.start_s == 0).all() and np.allclose(rows.end_s, 10.0)
    for row in rows.itertuples():
        # The reference is the contact PPG's HR; the generator knows the pulse's.
        assert abs(row.hr_true - hr[row.recording]) < 1.5
    pos = rows[rows.method == "POS"]
    assert np.all(np.abs(pos.hr_pred - pos.hr_true) < 3.0)
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    mae = float(lines["POS"][1])
    assert pos.reliable.all()  # clean synthetic pulses: every estimate above MIN_SNR
    assert mae == pytest.approx(np.mean(np.abs(pos.hr_pred - pos.hr_true)), abs=0.006)
    assert lines["POS"][-4:] == ["3", "0", "100.00", f"{mae:.2f}"]  # n, declined, %, MAE_all
    assert "LQ-rPPG" in lines


def test_evaluate_windows(ubfc, capsys, tmp_path):
    root, _ = ubfc
    csv = tmp_path / "rows.csv"
    args = ["evaluate", "--dataset", "ubfc-rppg", "--path", str(root), "--method", "pos",
            "chrom", "--size", "32", "--window", "5", "--step", "2.5", "--out", str(csv),
            "--subjects", "subject1", "subject3", "--quiet"]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "over 5 s windows" in out
    rows = pd.read_csv(csv)
    assert sorted(rows.recording.unique()) == ["subject1", "subject3"]
    starts = sorted(rows[(rows.method == "POS") & (rows.recording == "subject1")].start_s)
    assert starts == [0.0, 2.5, 5.0]
    assert np.allclose(rows.end_s - rows.start_s, 5.0)


def test_predict_with_a_trained_model(trained, ubfc, capsys):
    root, _ = ubfc
    video = root / "subject1" / "vid.avi"
    code = main(["predict", str(video), "--model", str(trained[1]), "--no-face", "--window", "5"])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err  # a 2-epoch model may give no in-band peak
    assert "method LQ-rPPG" in captured.out
    assert re.search(r"300 frames \(10\.0 s\)", captured.out)


def test_train_with_no_clips_exits_1(ubfc, tmp_path, capsys):
    root, _ = ubfc
    args = ["train", "--dataset", "ubfc-rppg", "--path", str(root), "--out",
            str(tmp_path / "m.pt"), "--chunk-length", "400", "--size", "16", "--quiet"]  # fmt: skip
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "0 clips made" in captured.out
    assert "no clip could be made" in captured.err
    assert not (tmp_path / "m.pt").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--dataset", "ubfc-rppg", "--path", "{missing}", "--out", "{tmp}/m.pt"],
         "cannot load ubfc-rppg from"),
        (["train", "--dataset", "ubfc-rppg", "--path", "{root}", "--out", "{tmp}/no/m.pt"],
         "--out: folder"),
        (["train", "--dataset", "ubfc-rppg", "--path", "{root}", "--out", "{tmp}/m.pt",
          "--size", "20"], "--size takes one or two multiples of 8"),
        (["train", "--dataset", "ubfc-rppg", "--path", "{root}", "--out", "{tmp}/m.pt",
          "--overlap", "200"], "--overlap must be in [0, --chunk-length)"),
        (["train", "--dataset", "ubfc-rppg", "--path", "{root}", "--out", "{tmp}/m.pt",
          "--epochs", "0"], "epochs"),
        (["evaluate", "--dataset", "ubfc-rppg", "--path", "{root}", "--method", "pos",
          "--model", "{tmp}/m.pt"], "--model is given but --method does not include lqrppg"),
        (["evaluate", "--dataset", "ubfc-rppg", "--path", "{root}", "--step", "2"],
         "--step needs --window"),
        (["evaluate", "--dataset", "ubfc-rppg", "--path", "{root}", "--band", "0.7", "3",
          "--method", "pos"],
         "look like Hz"),
        (["evaluate", "--dataset", "pure", "--path", "{root}", "--method", "pos"],
         "cannot load pure from"),
    ],
)  # fmt: skip
def test_bad_input_exits_2(args, message, ubfc, tmp_path, capsys):
    root, _ = ubfc
    filled = [a.format(root=root, tmp=tmp_path, missing=tmp_path / "nowhere") for a in args]
    assert main(filled) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_train_never_loses_the_model(ubfc, tmp_path, monkeypatch, capsys):
    """The target turns unwritable during training: the model is saved beside the cwd."""
    from lqrppg.models import LQRPPGRegressor

    root, _ = ubfc
    real_save = LQRPPGRegressor.save
    target = tmp_path / "out" / "model.pt"
    target.parent.mkdir()

    def save(self, path):
        if str(path) == str(target):
            raise PermissionError(13, "Permission denied", str(path))
        return real_save(self, path)

    monkeypatch.setattr(LQRPPGRegressor, "save", save)
    monkeypatch.chdir(tmp_path)
    args = ["train", "--dataset", "ubfc-rppg", "--path", str(root), "--out", str(target), *TRAIN]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "cannot write the model to" in err and "saved to" in err
    rescued = err.split("saved to '")[1].split("'")[0]
    assert LQRPPGRegressor.load(rescued).n_frames_ == 64
    assert rescued.startswith(str(tmp_path))


def test_unwritable_outputs_exit_2_before_work(ubfc, tmp_path, capsys):
    root, _ = ubfc
    for option in ("--out", "--summary"):
        args = ["train", "--dataset", "ubfc-rppg", "--path", str(root), "--out",
                str(tmp_path / "m.pt"), *TRAIN]  # fmt: skip
        bad = {"--out": "/proc/sys/m.pt", "--summary": "/proc/sys/s.csv"}[option]
        if option == "--out":
            args[args.index("--out") + 1] = bad
        else:
            args += ["--summary", bad]
        assert main(args) == 2
        err = capsys.readouterr()
        assert option in err.err and "preprocessing" not in err.out  # refused before any work


@pytest.fixture(scope="module")
def ubfc_harmonic(tmp_path_factory):
    """Two UBFC-rPPG recordings whose contact PPG is a 50 bpm pulse with a strong harmonic.

    The label's second harmonic (100 bpm) has 1.5 times the fundamental's amplitude, as a
    finger PPG with a strong dicrotic wave can. ground_truth.txt line 2 (the oximeter's HR)
    says 50 bpm for subject1 and, wrongly, 80 bpm for subject2.
    """
    root = tmp_path_factory.mktemp("ubfc_harmonic")
    data = make_synthetic_rppg(
        n_subjects=2, duration=12, frame_size=(32, 32), label_noise="none", random_state=3
    )
    t = np.arange(data.videos.shape[1]) / data.fs
    f = 50 / 60
    ppg = np.sin(2 * np.pi * f * t) + 1.5 * np.sin(4 * np.pi * f * t + 0.8)
    for k, device in enumerate((50.0, 80.0)):
        folder = root / f"subject{k + 1}"
        folder.mkdir()
        write_video(folder / "vid.avi", data.videos[k], data.fs, codec="FFV1")
        lines = [ppg, np.full(t.size, device), t]
        text = "\n".join(" ".join(f"{v:.9e}" for v in row) for row in lines)
        (folder / "ground_truth.txt").write_text(text + "\n")
    return root


def test_evaluate_reference_is_the_fundamental_not_the_harmonic(ubfc_harmonic, tmp_path, capsys):
    csv = tmp_path / "rows.csv"
    args = ["evaluate", "--dataset", "ubfc-rppg", "--path", str(ubfc_harmonic), "--method",
            "pos", "--no-face", "--size", "32", "--out", str(csv), "--quiet"]  # fmt: skip
    main(args)
    captured = capsys.readouterr()
    rows = pd.read_csv(csv).set_index("recording")
    np.testing.assert_allclose(rows.hr_true, 50.0, atol=1.0)  # not 100
    np.testing.assert_allclose(rows.hr_ppg, rows.hr_true)
    assert rows.loc["subject1", "hr_device"] == 50.0 and rows.loc["subject2", "hr_device"] == 80.0
    # The dataset's own HR disagrees with the PPG's on subject2: said, with both numbers.
    assert "in 1 of 2 segments the contact PPG's HR and the dataset's own HR differ" in (
        captured.err
    )
    assert re.search(r"subject2 0-12 s: (49|50)\.\d vs 80\.0", captured.err), captured.err
    # --reference device scores against line 2 instead.
    main([*args, "--reference", "device"])
    rows = pd.read_csv(csv).set_index("recording")
    assert rows.loc["subject2", "hr_true"] == 80.0


def test_evaluate_min_snr_moves_estimates_to_declines(ubfc, capsys, tmp_path):
    root, _ = ubfc
    csv = tmp_path / "rows.csv"
    args = ["evaluate", "--dataset", "ubfc-rppg", "--path", str(root), "--method", "pos",
            "--size", "32", "--out", str(csv), "--quiet", "--subjects", "subject1",
            "subject3"]  # fmt: skip
    assert main(args) == 0
    capsys.readouterr()
    assert main([*args, "--min-snr", "100"]) == 1  # nothing is that clean: nothing scored
    out = capsys.readouterr().out
    pos = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}["POS"]
    assert pos[-4:-1] == ["0", "2", "0.00"]  # n, declined, coverage
    rows = pd.read_csv(csv)
    assert not rows.reliable.any() and np.isfinite(rows.hr_pred).all()


@pytest.mark.skipif(
    not __import__("torch").distributed.is_available(), reason="needs torch.distributed"
)
def test_train_under_torchrun_trains_the_one_process_model(ubfc, tmp_path):
    # `torchrun --nproc_per_node 2 -m lqrppg train ...`: two CPU processes (gloo) share the
    # global batch; only process 0 prints and writes. The first epoch's training loss (one
    # step per epoch here, so the loss of the initial weights on the whole global batch)
    # must be the single process's. Later epochs are not compared here: on these tiny,
    # nearly static 16 x 16 face crops some stem channels are all but constant, their
    # max-pool choices are set by rounding, and a 1e-4 relative change of BatchNorm's eps
    # alone moves the single-process gradient by 12 %. The equality of whole data-parallel
    # trainings is tested on well-conditioned clips in tests/models/test_distributed.py.
    import os
    import shutil
    import subprocess
    import sys

    from lqrppg import LQRPPGRegressor

    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable))
    if torchrun is None:
        pytest.skip("torchrun not found beside the Python interpreter")
    root, _ = ubfc
    args = ["train", "--dataset", "ubfc-rppg", "--path", str(root), *TRAIN, "--no-augment"]
    single, model = tmp_path / "one.pt", tmp_path / "ddp.pt"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main([*args, "--out", str(single)]) == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RANK", "WORLD_SIZE"))}
    done = subprocess.run(
        [torchrun, "--standalone", "--nproc_per_node", "2", "-m", "lqrppg", *args,
         "--out", str(model)],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("best epoch") == 1  # printed by process 0 only
    assert done.stdout.count("preprocessing:") == 1
    one, two = LQRPPGRegressor.load(single), LQRPPGRegressor.load(model)
    assert len(two.history_) == len(one.history_) == 2
    assert two.history_[0]["train_loss"] == pytest.approx(one.history_[0]["train_loss"], rel=1e-6)
    for a, b in zip(one.codebooks_, two.codebooks_, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("n", [160, 161, 360, 479])
def test_evaluate_joins_clips_back_into_the_recording(n):
    """evaluate hands predict_recording the recording its clips (remainder="last") came from."""
    from lqrppg.cli._evaluate import _join_clips
    from lqrppg.video import cut_clips

    frames = np.random.default_rng(n).integers(0, 256, (n, 4, 4, 3), dtype=np.uint8)
    plan = cut_clips(frames, 160, remainder="last")
    np.testing.assert_array_equal(_join_clips(plan.clips, plan.starts, n), frames)
    with pytest.raises(RuntimeError, match="do not cover"):
        _join_clips(plan.clips, plan.starts, n + 1)  # a frame after the last clip
