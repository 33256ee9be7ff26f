"""``lqrppg demo``: the main job on built-in synthetic data.

Every unsupervised baseline and the LQ-rPPG weights shipped with the package (trained on
synthetic videos only; the videos are resized to their 32 x 32 input) on the same videos.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

from .._files import atomic_write, check_writable
from .._methods import BASELINES, baseline_class
from ._common import InputError, add_command, command

__all__ = ["add_parser", "run"]

#: The baselines the demo runs (every unsupervised method of the registry but ``auto``).
_METHODS = tuple(name for name in BASELINES if name != "auto")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """The ``demo`` command's parser, run by :func:`run`."""
    demo = add_command(
        subparsers,
        "demo",
        run,
        help="run the baselines and the shipped LQ-rPPG model on built-in synthetic videos, "
        "print metrics, save a figure",
        description=(
            "Generate synthetic facial videos with a known pulse, run every unsupervised "
            "baseline and the LQ-rPPG weights shipped with the package (trained on "
            "synthetic videos only), print an HR metrics table and write a figure "
            "(waveform, spectrum, Bland-Altman)."
        ),
    )
    demo.add_argument("--subjects", type=int, default=12, help="number of subjects (default 12)")
    demo.add_argument("--duration", type=float, default=20.0, help="seconds per video (20)")
    demo.add_argument("--size", type=int, default=64, help="frame height and width (64)")
    demo.add_argument(
        "--label-noise",
        default="mild",
        choices=["none", "mild", "moderate", "severe"],
        help="contact-PPG label noise preset (mild)",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (0)")
    demo.add_argument(
        "--out",
        default="lqrppg-demo",
        help="output folder for the figure and the metrics CSV (./lqrppg-demo)",
    )
    return demo


def _run(args: argparse.Namespace) -> int:
    """Run the baselines and the shipped model on synthetic videos; print metrics; write a
    figure and a CSV. Returns the process exit code."""
    import pandas as pd

    from ..datasets import make_synthetic_rppg
    from ..exceptions import EstimationWarning
    from ..metrics import evaluate_hr
    from ..signal import estimate_hr, filter_pulse, snr

    n_subjects, duration, size, label_noise = (
        args.subjects,
        args.duration,
        args.size,
        args.label_noise,
    )
    if n_subjects < 3:
        raise InputError(
            f"--subjects must be at least 3 (Pearson r needs 3 clips); got {n_subjects}"
        )
    if size < 16 or size % 8:
        raise InputError(f"--size must be a multiple of 8 and at least 16; got {size}")
    if not (np.isfinite(duration) and duration > 0):
        raise InputError(f"--duration must be a positive number of seconds; got {duration:g}")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name in ("demo_metrics.csv", "demo.png"):
            check_writable(out / name)
    except OSError as exc:
        raise InputError(f"--out {str(out)!r} cannot hold the results: {exc}") from None
    t0 = time.perf_counter()
    try:
        data = make_synthetic_rppg(
            n_subjects=n_subjects,
            duration=duration,
            frame_size=(size, size),
            label_noise=label_noise,
            random_state=args.seed,
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    fs = float(data.fs)
    n, T = data.videos.shape[:2]
    print(
        f"synthetic data: {n} videos, {T} frames of {size}x{size} at {fs:g} Hz "
        f"({duration:g} s), label noise '{label_noise}', HR {data.hr.min():.0f}-"
        f"{data.hr.max():.0f} bpm ({time.perf_counter() - t0:.1f} s)"
    )

    tables, waveforms, hrs = [], {}, {}
    for key in _METHODS:
        method = baseline_class(key)(fs=fs)
        name = type(method).__name__
        t1 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", EstimationWarning)
            wave = method.predict(data.videos)
            hr = np.asarray(estimate_hr(wave, fs, band=method.band), dtype=float)
        elapsed = time.perf_counter() - t1
        filtered = filter_pulse(wave, fs)
        clip_snr = snr(filtered, data.hr, fs)
        ok = np.isfinite(hr)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the count is its own column
            table = evaluate_hr(data.hr, hr, snr=clip_snr, nan_policy="omit")
        row = table["value"].rename(name)
        row["no estimate"] = int((~ok).sum())
        row["frames/s"] = n * T / elapsed
        tables.append(row)
        waveforms[name], hrs[name] = filtered, hr
        for w in caught:
            print(f"  {name}: {w.message}")

    model_row = _shipped_model(data, fs)
    if model_row is not None:
        row, filtered, hr = model_row
        tables.append(row)
        waveforms[row.name], hrs[row.name] = filtered, hr

    summary = pd.DataFrame(tables)
    summary = summary[["MAE", "RMSE", "MAPE", "Pearson", "SNR", "no estimate", "frames/s"]]
    summary.index.name = "method"
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 120):
        print("\nHR against the synthetic truth (MAE/RMSE bpm, MAPE %, SNR dB):")
        print(summary.to_string())
    csv_path = out / "demo_metrics.csv"
    with atomic_write(csv_path) as tmp:
        summary.to_csv(tmp)

    best = summary["MAE"].idxmin()
    fig_path = _figure(out, data, fs, waveforms, hrs, best)
    print(f"\nmetrics: {csv_path.resolve()}")
    print(f"figure:  {fig_path.resolve()}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


def _shipped_model(data, fs: float):
    """The pretrained LQ-rPPG weights on the demo videos: (metrics row, filtered, HR) or None.

    The videos are resized to the weights' 32 x 32 input and predicted whole (clips of 160
    frames joined by overlap-add, :func:`lqrppg.pipeline.predict_recording`).
    """
    from ..exceptions import EstimationWarning
    from ..metrics import evaluate_hr
    from ..signal import estimate_hr, filter_pulse, snr

    name = "LQ-rPPG (shipped)"
    try:
        from ..models import LQRPPGRegressor
        from ..pipeline import predict_recording
        from ..video import Resizer

        model = LQRPPGRegressor.pretrained()
    except (ImportError, FileNotFoundError, ValueError) as exc:
        print(f"  {name}: not run ({exc})")
        return None
    n, T = data.videos.shape[:2]
    if T < model.n_frames_:
        print(f"  {name}: not run (videos of {T} frames, fewer than its {model.n_frames_})")
        return None
    if abs(fs - model.fs) > 0.02 * model.fs:
        print(f"  {name}: not run (trained at {model.fs:g} fps, the videos are at {fs:g})")
        return None
    t1 = time.perf_counter()
    videos = Resizer(size=tuple(model.frame_shape_)).fit_transform(data.videos)
    wave = np.stack([predict_recording(model, v) for v in videos])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EstimationWarning)
        hr = np.asarray(estimate_hr(wave, fs), dtype=float)
    elapsed = time.perf_counter() - t1
    filtered = filter_pulse(wave, fs)
    ok = np.isfinite(hr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the count is its own column
        table = evaluate_hr(data.hr, hr, snr=snr(filtered, data.hr, fs), nan_policy="omit")
    row = table["value"].rename(name)
    row["no estimate"] = int((~ok).sum())
    row["frames/s"] = n * T / elapsed
    for w in caught:
        print(f"  {name}: {w.message}")
    return row, filtered, hr


def _figure(out: Path, data, fs: float, waveforms: dict, hrs: dict, best: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import plot_bland_altman, plot_spectrum, plot_waveforms

    i = 0
    clean = data.ppg_clean[i]
    fig, axes = plt.subplots(3, 1, figsize=(9, 10), constrained_layout=True)
    n_show = int(min(clean.size, 10 * fs))
    plot_waveforms(
        {
            "true pulse (clean)": clean[:n_show],
            "contact PPG label (noisy)": data.ppg[i, :n_show],
            f"{best} rPPG": waveforms[best][i, :n_show],
        },
        fs,
        ax=axes[0],
    )
    axes[0].set_title(f"video 0, first {n_show / fs:g} s")
    plot_spectrum(
        {f"{best} rPPG": waveforms[best][i], "true pulse": clean},
        fs,
        hr_true=float(data.hr[i]),
        ax=axes[1],
    )
    axes[1].set_title(f"spectrum, video 0 (true HR {data.hr[i]:.1f} bpm)")
    keep = np.isfinite(hrs[best])
    plot_bland_altman(data.hr[keep], hrs[best][keep], ax=axes[2], label=best)
    axes[2].set_title(f"Bland-Altman, {best}, {int(keep.sum())} videos")
    path = out / "demo.png"
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path


run = command("demo", _run)
