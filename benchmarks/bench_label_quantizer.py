"""LabelQuantizer on synthetic contact-PPG labels with moderate noise: usage, fidelity, HR, time.

Labels come from ``make_synthetic_rppg(label_noise='moderate')`` (the videos are rendered at
8 x 8 pixels without motion or light changes: only the labels are used), cut into
non-overlapping clips of 160 samples (5.3 s at 30 Hz). Subjects are split: the quantizer is
fitted on the clips of the training subjects with its default parameters (five levels of
2-32 codewords, 30 epochs) and the figures are computed on the clips of held-out subjects:

- dead codewords per level (never assigned), on the training clips and on the test clips;
- mean Pearson r of each level's pseudo label with the standardised label;
- share of clips whose pseudo-label heart rate is within 3 bpm of the label's
  (``lqrppg.signal.estimate_hr`` on both);
- mean Pearson r with the clean pulse at the face (``ppg_clean``), raw label vs each level,
  as cut and after shifting out the label's known pulse-transit delay;
- the fit time of all five levels.

The figure shows one held-out clip (its label, the five pseudo labels and the delay-aligned
clean pulse) and the two Pearson r's per level.

Run: ``python benchmarks/bench_label_quantizer.py [--subjects 40] [--test-subjects 10]``.
Writes docs/benchmarks/label_quantizer.md and its figure docs/benchmarks/label_quantizer.png.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from _common import FIGURE_WIDTH, pyplot, save_figure, write_results

from lqrppg.datasets import make_synthetic_rppg
from lqrppg.exceptions import EstimationWarning
from lqrppg.quantization import LabelQuantizer
from lqrppg.signal import HR_BAND, estimate_hr

CLIP = 160


def _cut(x: np.ndarray) -> np.ndarray:
    """(n_videos, T) -> (n_videos, n_clips, CLIP): non-overlapping windows from the start."""
    k = x.shape[1] // CLIP
    return x[:, : k * CLIP].reshape(x.shape[0], k, CLIP)


def _standardize(x: np.ndarray) -> np.ndarray:
    c = x - x.mean(axis=-1, keepdims=True)
    return c / c.std(axis=-1, keepdims=True)


def _pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Pearson r."""
    a, b = _standardize(a), _standardize(b)
    return np.mean(a * b, axis=-1)


def _aligned_pearson(x: np.ndarray, clean: np.ndarray, delays: np.ndarray) -> np.ndarray:
    """Row-wise r of x[t] with clean[t - d], d the label delay of the row in samples."""
    out = np.empty(len(x))
    for i, d in enumerate(delays):
        out[i] = np.corrcoef(x[i, d:], clean[i, : CLIP - d])[0, 1]
    return out


def _hr(x: np.ndarray, fs: float) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        return estimate_hr(x, fs)


def make_clips(n_subjects: int, duration: float, seed: int) -> dict[str, np.ndarray]:
    data = make_synthetic_rppg(
        n_subjects=n_subjects,
        duration=duration,
        frame_size=(8, 8),
        label_noise="moderate",
        motion="none",
        illumination="none",
        random_state=seed,
    )
    ppg, clean = _cut(data.ppg), _cut(data.ppg_clean)
    k = ppg.shape[1]
    return {
        "ppg": ppg.reshape(-1, CLIP),
        "clean": clean.reshape(-1, CLIP),
        "subject": np.repeat(data.subjects, k),
        "delay": np.repeat(np.round(data.label_delay * data.fs).astype(int), k),
        "fs": float(data.fs),
    }


def figure(levels, label, pseudo, clean, delay, table: pd.DataFrame, fs: float) -> str:
    """One held-out clip: label, pseudo labels and clean pulse; r per level."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(FIGURE_WIDTH, 4.6), layout="constrained", width_ratios=(1.5, 1)
    )
    t = np.arange(CLIP) / fs
    rows = [("label (contact PPG)", _standardize(label), "k")]
    rows += [
        (f"level {i + 1} (K={k})", _standardize(pseudo[i]), f"C{i}") for i, k in enumerate(levels)
    ]
    # The clean pulse at the face, shifted by the label's delay: what the label should show.
    aligned = np.full(CLIP, np.nan)
    aligned[delay:] = clean[: CLIP - delay]
    valid = np.isfinite(aligned)
    aligned[valid] = _standardize(aligned[valid])
    rows.append(("clean pulse, delay-aligned", aligned, "0.5"))
    for k, (name, y, colour) in enumerate(rows):
        offset = -3.2 * k
        left.plot(t, y + offset, color=colour, lw=1.1)
        left.text(t[-1] + 0.08, offset, name, va="center", fontsize="small", color=colour)
    left.set_yticks([])
    left.set_xlim(t[0], t[-1] * 1.42)
    left.set_xticks(np.arange(0, t[-1] + 1e-9, 1.0))
    left.set_xlabel("time (s)")
    left.set_title(f"one held-out clip ({CLIP} samples), each trace z-scored")
    for spine in ("left", "right", "top"):
        left.spines[spine].set_visible(False)
    lv = table.iloc[1:]
    k = lv["K"].astype(int).to_numpy()
    right.plot(k, lv["r with label"], "o-", label="r with the label")
    right.plot(k, lv["r with clean, delay-aligned"], "s-", label="r with the clean pulse, aligned")
    right.axhline(
        table.loc["raw label", "r with clean, delay-aligned"],
        color="k",
        ls="--",
        lw=0.8,
        label="label itself with the clean pulse",
    )
    right.set_xscale("log", base=2)
    right.set_xticks(k, [str(v) for v in k])
    right.set_xlabel("codewords K of the level")
    right.set_ylabel("mean Pearson r, held-out clips")
    right.set_title("each level, mean over the held-out clips")
    right.legend(loc="lower right", fontsize="small")
    return save_figure(
        fig,
        "label_quantizer",
        "Left: a held-out clip's noisy label, its five pseudo labels and the delay-aligned "
        "clean pulse; right: mean Pearson r of each level with the label and with the clean "
        "pulse.",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=40)
    parser.add_argument("--test-subjects", type=int, default=10)
    parser.add_argument("--duration", type=float, default=48.0, help="seconds per subject")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    clips = make_clips(args.subjects, args.duration, args.seed)
    fs = clips["fs"]
    test = clips["subject"] >= clips["subject"].min() + args.subjects - args.test_subjects
    X_train, X_test = clips["ppg"][~test], clips["ppg"][test]
    clean_test, delay_test = clips["clean"][test], clips["delay"][test]
    print(
        f"{len(clips['ppg'])} clips of {CLIP} samples from {args.subjects} subjects: "
        f"{len(X_train)} for fitting ({args.subjects - args.test_subjects} subjects), "
        f"{len(X_test)} held out ({args.test_subjects} subjects)"
    )

    lq = LabelQuantizer(epochs=args.epochs, fs=fs, random_state=args.seed)
    t0 = time.perf_counter()
    lq.fit(X_train)
    fit_time = time.perf_counter() - t0
    print(f"fit of {len(lq.levels_)} levels: {fit_time:.1f} s")

    labels = lq.pseudo_labels(X_test)
    codes = lq.encode(X_test)
    Z = _standardize(X_test)
    hr_label = _hr(X_test, fs)
    rows = [
        {
            "signal": "raw label",
            "K": np.nan,
            "dead codes train %": np.nan,
            "dead codes test %": np.nan,
            "r with label": 1.0,
            "HR within 3 bpm of label %": 100.0 * np.mean(np.isfinite(hr_label)),
            "r with clean pulse": _pearson(Z, clean_test).mean(),
            "r with clean, delay-aligned": _aligned_pearson(Z, clean_test, delay_test).mean(),
            "best epoch": np.nan,
            "val loss epoch 1": np.nan,
            "val loss best": np.nan,
        }
    ]
    for lv, k in enumerate(lq.levels_):
        y = labels[:, lv]
        used_test = np.bincount(codes[:, lv].ravel(), minlength=k) > 0
        hr_lv = _hr(y, fs)
        rows.append(
            {
                "signal": f"level {lv + 1}",
                "K": k,
                "dead codes train %": 100.0 * np.mean(lq.codebook_usage_[lv] == 0),
                "dead codes test %": 100.0 * np.mean(~used_test),
                "r with label": _pearson(y, Z).mean(),
                "HR within 3 bpm of label %": 100.0 * np.mean(np.abs(hr_lv - hr_label) <= 3.0),
                "r with clean pulse": _pearson(y, clean_test).mean(),
                "r with clean, delay-aligned": _aligned_pearson(y, clean_test, delay_test).mean(),
                "best epoch": lq.best_epoch_[lv],
                "val loss epoch 1": lq.history_[lv][0]["val_loss"],
                "val loss best": lq.history_[lv][lq.best_epoch_[lv] - 1]["val_loss"],
            }
        )
    table = pd.DataFrame(rows).set_index("signal")

    r = table["r with label"].iloc[1:].to_numpy()
    hr_ok = table["HR within 3 bpm of label %"].iloc[2:].to_numpy()
    dead = table[["dead codes train %", "dead codes test %"]].iloc[1:].to_numpy()
    checks = [
        ("dead codewords <= 25 % at every level", f"max {dead.max():.1f} %", dead.max() <= 25),
        ("r with label rises with the level", str(np.round(r, 3).tolist()), np.all(np.diff(r) > 0)),
        ("r with label of level 5 >= 0.95", f"{r[-1]:.3f}", r[-1] >= 0.95),
        ("HR within 3 bpm, levels 2-5, >= 90 %", f"min {hr_ok.min():.1f} %", hr_ok.min() >= 90),
        ("fit of five levels < 120 s", f"{fit_time:.1f} s", fit_time < 120),
    ]
    targets = pd.DataFrame(
        [(name, value, "yes" if ok else "NO") for name, value, ok in checks],
        columns=["target", "measured", "met"],
    ).set_index("target")

    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160):
        print(table.to_string())
        print()
        print(targets.to_string())
    setup = (
        f"`make_synthetic_rppg(n_subjects={args.subjects}, duration={args.duration:g}, "
        f"label_noise='moderate', motion='none', illumination='none', frame_size=(8, 8), "
        f"random_state={args.seed})`, labels cut into non-overlapping {CLIP}-sample clips: "
        f"{len(X_train)} clips of {args.subjects - args.test_subjects} subjects for fitting "
        f"(of which `validation_fraction=0.2` held out inside `fit` to pick the best epoch), "
        f"{len(X_test)} clips of {args.test_subjects} other subjects for the figures below. "
        f"`LabelQuantizer(epochs={args.epochs}, random_state={args.seed})`, other parameters "
        f"at their defaults (levels 2-32, width 1, batch 16, AdamW lr 1e-3, one-cycle). "
        f"Fit time of all {len(lq.levels_)} levels: **{fit_time:.1f} s** "
        f"(CPU, `num_threads=1`). HR by `lqrppg.signal.estimate_hr` at its defaults (robust "
        f"chain, band {60 * HR_BAND[0]:g}-{60 * HR_BAND[1]:g} bpm) on each {CLIP / fs:.1f} s "
        "clip. 'delay-aligned': the clean "
        "pulse shifted by the label's known pulse-transit delay (0.05-0.25 s) before r."
    )
    figure_md = figure(
        lq.levels_, X_test[0], labels[0], clean_test[0], int(delay_test[0]), table, fs
    )
    shown = table.astype(object).where(table.notna(), "")
    for col in ("K", "best epoch"):
        shown[col] = [f"{v:.0f}" if v != "" else "" for v in shown[col]]
    path = write_results(
        "label_quantizer",
        "LabelQuantizer on synthetic labels (moderate noise)",
        [
            ("Setup", setup),
            ("Per level, held-out subjects", shown.to_markdown(floatfmt=".3f")),
            ("Figure", figure_md),
            ("Targets", targets),
        ],
    )
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
