"""`lqrppg demo` end to end on a tiny setting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lqrppg.cli import main


def test_demo_prints_table_and_writes_figure(tmp_path, capsys):
    code = main(
        ["demo", "--subjects", "4", "--duration", "12", "--size", "32", "--out", str(tmp_path)]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "HR against the synthetic truth" in out
    assert str((tmp_path / "demo.png").resolve()) in out
    png = (tmp_path / "demo.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    table = pd.read_csv(tmp_path / "demo_metrics.csv", index_col="method")
    methods = ["GREEN", "CHROM", "POS", "LGI", "PBV", "ICA", "OMIT", "LQ-rPPG (shipped)"]
    assert list(table.index) == methods
    assert np.isfinite(table["MAE"]).all()
    # the shipped model (32 x 32 input: these videos as they are) agrees with the demo's own
    # prediction of it through predict_recording
    from lqrppg import LQRPPGRegressor
    from lqrppg.datasets import make_synthetic_rppg
    from lqrppg.metrics import evaluate_hr
    from lqrppg.pipeline import predict_recording
    from lqrppg.signal import estimate_hr

    data = make_synthetic_rppg(n_subjects=4, duration=12, frame_size=(32, 32),
                               label_noise="mild", random_state=0)  # fmt: skip
    model = LQRPPGRegressor.pretrained()
    hr = estimate_hr(np.stack([predict_recording(model, v) for v in data.videos]), data.fs)
    mae = evaluate_hr(data.hr, hr)["value"]["MAE"]
    assert table.loc["LQ-rPPG (shipped)", "MAE"] == pytest.approx(mae, abs=0.01)
    # The best method recovers HR on clean synthetic videos.
    assert table["MAE"].min() < 3.0


def test_demo_rejects_bad_arguments(tmp_path, capsys):
    assert main(["demo", "--subjects", "2", "--out", str(tmp_path)]) == 2
    assert "--subjects must be at least 3" in capsys.readouterr().err  # errors go to stderr
    assert main(["demo", "--duration", "-1", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--duration must be a positive number" in err and "Traceback" not in err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["demo", "--out", str(blocker / "sub")]) == 2
    assert "cannot hold the results" in capsys.readouterr().err
    assert main(["demo", "--size", "30", "--out", str(tmp_path)]) == 2
    assert "multiple of 8" in capsys.readouterr().err


def test_an_internal_error_is_one_line_and_exit_3(monkeypatch, capsys):
    from lqrppg.cli import _demo

    def broken(args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(_demo, "run", broken)
    assert main(["demo"]) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: a bug" in err and "Traceback" not in err
    path = err.split("the full traceback is in ")[1].split(";")[0]
    with open(path) as f:
        text = f.read()
    assert "Traceback" in text and "RuntimeError: a bug" in text


def test_version(capsys):
    from lqrppg import __version__

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"lqrppg {__version__}"
