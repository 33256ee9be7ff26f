"""Every method and the shipped model on real, compressed skin video: bias_eval_rppg_dev.

The development set ../shared/data/bias_eval_rppg_dev (Dasari et al., npj Digital Medicine
4:91, 2021; MIT licence; read in place, not shipped): 26 files of 10 recordings, 200 x 200 px
skin patches (forehead, cheeks) cut from facial video of subjects from India and Sierra Leone,
DIVX AVI at 15 fps, 27 s to 6 min. Reference: the pulse oximeter's mean HR over the recording
(``Ground_Truth/<group>_GT.csv``, 66-84 bpm); no waveform.

Protocol, per file (every patch is a separate video; the patches of one recording share its
reference, so they are not independent):

- The whole patch is the skin region (there is no face to detect): its per-frame mean RGB is
  the trace of the unsupervised methods, run on the whole recording at 15 fps with their
  defaults; HR and its quality from the method's own HR routine.
- The shipped model (``LQRPPGRegressor.pretrained()``, 32 x 32 px clips of 160 frames at
  30 fps): the patch is resized to 32 x 32 (area) and resampled to 30 fps by linear
  interpolation between frames (the model's frame rate), cut into clips of 160 frames
  covering the recording (the last ends on the last frame), predicted and joined by
  overlap-add; the whole-recording HR is that of the joined waveform at 30 fps.
- The LQ-rPPG authors' released real-data models (``--authors DIR``, by default
  ``../shared/lq_rppg_authors`` when present; ``--protocols``, by default those listed in
  ``PROTOCOLS``): as the shipped model, but at 128 x 128 and resampled to each model's own
  frame rate (30 fps; 25 for V4V, 20 for COHFACE), the authors' input size; the patch is the
  whole crop (no face box: there is no face).
- A constant 75 bpm answer on the same files, the baseline every method must beat.

Every HR, the models' included, is read in the library's default band (``HR_BAND``) by the
same routine, so the rows are comparable.

Per method: coverage (files given a number: an estimate whose SNR around it reaches
``--min-snr``, by default the library's ``MIN_SNR``), MAE on the files given a number, the
constant's MAE on those same files, MAE on all files with no gate (every estimate), and the
files labelled high confidence that are more than 10 bpm off. Traces and 32 px videos are
cached (``--cache``), so a rerun does not
decode the videos again.

Run: ``python benchmarks/bench_real_skin.py [--cache DIR] [--threads 1]``. Writes
docs/benchmarks/real_skin.md and docs/benchmarks/real_skin.png.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import RESULTS, log, shared_data_dir, write_results

from lqrppg._methods import BASELINES, baseline_class
from lqrppg.exceptions import EstimationWarning
from lqrppg.pipeline import predict_recording
from lqrppg.signal import HR_BAND, MIN_SNR, estimate_hr
from lqrppg.video import Resizer, iter_video_chunks, resample_frames

METHODS = tuple(baseline_class(name) for name in BASELINES)  # the package's registry
MODEL = "LQ-rPPG (shipped)"
CONSTANT = 75.0
MODEL_SIZE = (32, 32)
AUTHORS_SIZE = (128, 128)
#: The authors' protocols run by default (each costs ~150 000 frames of 128 x 128 inference).
PROTOCOLS = ("UBFC_UBFC", "PURE_PURE", "MMPD_MMPD", "PURE_UBFC", "UBFC_PURE")


def references(root: Path) -> dict[tuple[str, str], float]:
    out = {}
    for csv in sorted((root / "Ground_Truth").glob("*_GT.csv")):
        group = csv.name.removesuffix("_GT.csv")
        for row in pd.read_csv(csv).itertuples():
            out[(group, row.video)] = float(row.hr_bpm)
    return out


def read_file(path: Path, cache: Path):
    """Mean RGB trace (T, 3) and the 32 x 32 video (T, 32, 32, 3) of one file, cached."""
    key = cache / f"{path.parent.name}_{path.stem}.npz"
    if key.exists():
        with np.load(key) as npz:
            return npz["trace"], npz["small"], float(npz["fps"])
    traces, smalls, fps = [], [], None
    resizer = Resizer(size=MODEL_SIZE)
    for chunk in iter_video_chunks(path, 256):
        traces.append(chunk.frames.mean(axis=(1, 2), dtype=np.float64))
        smalls.append(resizer.transform(chunk.frames[None])[0])
        if fps is None and len(chunk.timestamps) > 1:
            fps = 1.0 / float(np.median(np.diff(chunk.timestamps)))
    trace, small = np.concatenate(traces), np.concatenate(smalls)
    fps = round(fps, 3)
    np.savez(key, trace=trace, small=small, fps=fps)
    return trace, small, fps


def read_big(path: Path, cache: Path) -> np.ndarray:
    """The 128 x 128 video (T, 128, 128, 3) of one file (the authors' input size), cached."""
    key = cache / f"{path.parent.name}_{path.stem}_128.npy"
    if key.exists():
        return np.load(key)
    resizer = Resizer(size=AUTHORS_SIZE)
    big = np.concatenate(
        [resizer.transform(c.frames[None])[0] for c in iter_video_chunks(path, 256)]
    )
    np.save(key, big)
    return big


def quality(wave: np.ndarray, fs: float, band) -> tuple[float, float, str]:
    """Whole-recording HR, SNR and label by the library's HR routine."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        if not np.all(np.isfinite(wave)):
            return np.nan, np.nan, "none"
        est = estimate_hr(wave, fs, band=band, return_quality=True)
    return est.hr, est.snr, est.confidence


def run_methods(trace: np.ndarray, fs: float) -> dict[str, tuple[float, float, str]]:
    out = {}
    for cls in METHODS:
        est = cls(fs=fs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)
            wave = est.predict(trace[None])[0]
        out[cls.__name__] = quality(wave, fs, est.band)
    return out


def run_model(model, video: np.ndarray, fs: float) -> tuple[float, float, str]:
    """Whole-recording HR of a clip model on a video resampled to the model's frame rate."""
    wave = predict_recording(model, resample_frames(video, fs, model.fs))
    return quality(wave, model.fs, HR_BAND)


def summary_table(rows: pd.DataFrame) -> pd.DataFrame:
    out = []
    for method, part in rows.groupby("method", sort=False):
        ref = part["reference"].to_numpy()
        hr = part["hr"].to_numpy()
        given = part["given"].to_numpy()
        err = np.abs(hr - ref)
        const = np.abs(CONSTANT - ref)
        finite = np.isfinite(hr)
        out.append(
            {
                "method": method,
                "files": len(part),
                "given a number": int(given.sum()),
                "coverage %": 100.0 * given.mean(),
                "MAE, given": float(err[given].mean()) if given.any() else np.nan,
                "75 bpm MAE, same files": float(const[given].mean()) if given.any() else np.nan,
                "MAE, all (no gate)": float(err[finite].mean()) if finite.any() else np.nan,
                "75 bpm MAE, all": float(const.mean()),
                "high": int((part["label"] == "high").sum()),
                "high, off > 10 bpm": int(((part["label"] == "high") & (err > 10)).sum()),
            }
        )
    return pd.DataFrame(out).set_index("method")


def sweep_table(rows: pd.DataFrame) -> pd.DataFrame:
    """All methods pooled: files given a number as the SNR threshold moves, and their MAE."""
    out = []
    err = np.abs(rows["hr"] - rows["reference"]).to_numpy()
    const = np.abs(CONSTANT - rows["reference"]).to_numpy()
    snr = rows["snr"].to_numpy()
    for threshold in (-np.inf, -6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0):
        given = np.isfinite(rows["hr"].to_numpy()) & (snr >= threshold)
        out.append(
            {
                "min SNR (dB)": threshold,
                "estimates given (of all methods' files)": int(given.sum()),
                "MAE, given": float(err[given].mean()) if given.any() else np.nan,
                "75 bpm MAE, same files": float(const[given].mean()) if given.any() else np.nan,
            }
        )
    return pd.DataFrame(out).set_index("min SNR (dB)")


def figure(rows: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(dict.fromkeys(rows["method"]))
    n_rows = -(-len(methods) // 4)
    fig, axes = plt.subplots(
        n_rows, 4, figsize=(14, 3.3 * n_rows + 0.6), sharex=True, sharey=True, squeeze=False
    )
    colours = {"high": "C2", "medium": "C1", "low": "C3", "none": "0.6"}
    for ax, method in zip(axes.ravel(), methods, strict=False):
        part = rows[rows["method"] == method]
        for label, colour in colours.items():
            sel = part[part["label"] == label]
            given = sel[sel["given"]]
            held = sel[~sel["given"]]
            ax.scatter(given["reference"], given["hr"], color=colour, s=22)
            ax.scatter(held["reference"], held["hr"], facecolors="none", edgecolors=colour, s=22)
        ax.plot([60, 90], [60, 90], color="k", lw=0.8)
        ax.axhline(CONSTANT, color="0.5", ls=":", lw=0.8)
        ax.set_title(method, fontsize="small")
    for ax in axes.ravel()[len(methods) :]:
        ax.axis("off")
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], ls="", marker="o", color=c, label=f"{label}: given")
        for label, c in colours.items()
        if label != "none"
    ] + [
        Line2D([], [], ls="", marker="o", mfc="none", mec="C3", label="declined (below the gate)"),
        Line2D([], [], color="k", lw=0.8, label="estimate = oximeter"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=5, fontsize="small")
    fig.supxlabel("oximeter HR (bpm)")
    fig.supylabel("estimated HR (bpm); hollow: no number given")
    fig.suptitle("bias_eval_rppg_dev: whole-recording HR per file (dotted: 75 bpm)")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "lqrppg_rs")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1)")
    parser.add_argument(
        "--min-snr",
        type=float,
        default=MIN_SNR,
        help=f"SNR (dB) below which no number is given ({MIN_SNR:g}, the library's)",
    )
    parser.add_argument(
        "--authors",
        type=Path,
        default=shared_data_dir().parent / "lq_rppg_authors",
        help="the authors' release (configs/, PreTrainedModels/); absent: no such rows",
    )
    parser.add_argument("--protocols", nargs="*", default=list(PROTOCOLS))
    args = parser.parse_args()
    root = shared_data_dir() / "bias_eval_rppg_dev"
    if not root.is_dir():
        print(f"bias_eval_rppg_dev not found at {root}; set LQRPPG_SHARED_DATA")
        return 1
    import torch

    torch.set_num_threads(args.threads)
    from lqrppg import LQRPPGRegressor

    model = LQRPPGRegressor.pretrained()
    authors = {}
    if args.protocols and (args.authors / "configs").is_dir():
        from lqrppg.models import load_authors_checkpoint

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # V4V's substituted epochs
            authors = {
                f"LQ-rPPG {p} (authors)": load_authors_checkpoint(args.authors, p)
                for p in args.protocols
            }
    args.cache.mkdir(parents=True, exist_ok=True)
    refs = references(root)
    files = sorted((root / "Data").glob("*/*.avi"))
    rows = []
    for k, path in enumerate(files):
        group, video = path.parent.name, path.stem.split("_")[0]
        trace, small, fs = read_file(path, args.cache)
        results = run_methods(trace, fs)
        results[MODEL] = run_model(model, small, fs)
        if authors:
            big = read_big(path, args.cache)
            for name, m in authors.items():
                results[name] = run_model(m, big, fs)
        for method, (hr, s, label) in results.items():
            rows.append(
                {
                    "file": f"{group}/{path.stem}",
                    "method": method,
                    "reference": refs[(group, video)],
                    "seconds": len(trace) / fs,
                    "hr": hr,
                    "snr": s,
                    "label": label,
                    "given": bool(np.isfinite(hr) and s >= args.min_snr),
                }
            )
        log(f"{k + 1}/{len(files)} {group}/{path.name}: {len(trace)} frames at {fs:g} fps")
    rows = pd.DataFrame(rows)
    table = summary_table(rows)
    sweep = sweep_table(rows)
    per_file = rows.pivot(index="file", columns="method", values="hr")[list(table.index)]
    per_file.insert(0, "reference", rows.groupby("file")["reference"].first())
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 200):
        print(table.to_string())
        print(sweep.to_string())
        print(per_file.to_string())
    fig_path = RESULTS / "real_skin.png"
    figure(rows, fig_path)
    setting = (
        f"{len(files)} files of {len(refs)} recordings; whole-recording HR per file against "
        "the oximeter's mean HR over the recording. 'given a number': files whose estimate "
        f"has an SNR of at least {args.min_snr:g} dB around it (the gate of `lqrppg "
        "predict`); 'MAE, all (no gate)': every estimate. The constant "
        f"{CONSTANT:g} bpm answer's MAE is given on the same files. Confidence labels: SNR "
        "around the estimate, high >= 5 dB, medium >= MIN_SNR, low below."
    )
    path = write_results(
        "real_skin",
        "Real skin video (bias_eval_rppg_dev): every method vs a constant 75 bpm",
        [
            ("Setting", setting),
            ("Whole-recording HR per method", table),
            ("All methods pooled: the gate's threshold", sweep),
            ("Figure", "![estimated vs reference HR per file](real_skin.png)"),
            ("HR (bpm) per file", per_file),
        ],
    )
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
