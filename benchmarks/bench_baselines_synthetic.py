"""Unsupervised baselines on synthetic facial videos with a known pulse.

``make_synthetic_rppg`` videos (default: 30 subjects, 30 s, 64x64, label noise 'mild'; the
label noise does not touch the video, only the contact-PPG label) go through every
baseline; the truth is the generator's ``hr`` (60 / mean inter-beat interval of the clean
pulse). HR by ``estimate_hr`` (detrend, band-pass, spectral peak with the harmonic check)
with the default band 40-180 bpm, with 0.75-2.5 Hz (45-150 bpm, the band of rPPG-Toolbox's
paper and this package's former default) and with rPPG-Toolbox's code band 0.6-3.3 Hz for
comparison (the generator draws HR up to 150 bpm). Also reported: MAE by
Fitzpatrick skin type for POS. The figure shows the MAE of every method in each band and the
Bland-Altman plot of POS in the default band.

Run: ``python benchmarks/bench_baselines_synthetic.py [--subjects 30] [--duration 30]
[--size 64] [--seed 0]``. Writes docs/benchmarks/baselines_synthetic.md and its figure
docs/benchmarks/baselines_synthetic.png.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from _common import FIGURE_WIDTH, method_bars, pyplot, save_figure, write_results

from lqrppg._methods import BASELINES, baseline_class
from lqrppg.baselines import POS
from lqrppg.datasets import make_synthetic_rppg
from lqrppg.exceptions import EstimationWarning
from lqrppg.metrics import evaluate_hr
from lqrppg.plotting import plot_bland_altman
from lqrppg.signal import HR_BAND, estimate_hr, filter_pulse, snr

METHODS = tuple(baseline_class(name) for name in BASELINES if name != "auto")  # registry
BANDS = {
    "40-180 bpm (default)": HR_BAND,
    "0.75-2.5 Hz": (0.75, 2.5),
    "0.6-3.3 Hz (toolbox code)": (0.6, 3.3),
}


def figure(summary: pd.DataFrame, hr_true, pos_hr, fitzpatrick) -> str:
    """MAE (+- SE) of every method per band; Bland-Altman of POS coloured by skin type."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 4.2), layout="constrained")
    short = {label: label.split(" ")[0] for label in BANDS}
    method_bars(
        left,
        summary.index,
        {band: (summary[f"MAE {s}"], summary[f"SE {s}"]) for band, s in short.items()},
        xlabel="MAE vs the generator's HR (bpm)",
        title=f"every baseline, {hr_true.size} videos (bars: +-1 SE)",
    )
    plot_bland_altman(hr_true, pos_hr, ax=right, nan_policy="omit")
    # Colour POS's points by skin type (the first collection is plot_bland_altman's scatter).
    points = right.collections[0]
    points.set_array(np.asarray(fitzpatrick, dtype=float))
    points.set_cmap("copper_r")
    points.set_clim(1, 6)
    fig.colorbar(points, ax=right, label="Fitzpatrick skin type", ticks=range(1, 7))
    right.set_title("POS, default band: Bland-Altman, one point per video")
    right.legend(loc="lower left", fontsize="small")
    return save_figure(
        fig,
        "baselines_synthetic",
        "Left: MAE of every baseline in each HR band; right: Bland-Altman plot of POS in "
        "the default band, points coloured by skin type.",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=30)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--label-noise", default="mild")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    t0 = time.perf_counter()
    data = make_synthetic_rppg(
        n_subjects=args.subjects,
        duration=args.duration,
        frame_size=(args.size, args.size),
        label_noise=args.label_noise,
        random_state=args.seed,
    )
    gen_s = time.perf_counter() - t0
    fs = float(data.fs)
    print(
        f"generated {data.videos.shape} in {gen_s:.1f} s; "
        f"HR {data.hr.min():.1f}-{data.hr.max():.1f} bpm"
    )

    rows, pos_hr = [], None
    for cls in METHODS:
        t1 = time.perf_counter()
        wave = cls(fs=fs).predict(data.videos)
        elapsed = time.perf_counter() - t1
        filtered = filter_pulse(wave, fs)
        clip_snr = snr(filtered, data.hr, fs)
        row = {"method": cls.__name__}
        for label, band in BANDS.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EstimationWarning)
                hr = np.asarray(estimate_hr(wave, fs, band=band), dtype=float)
            ok = np.isfinite(hr)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                table = evaluate_hr(data.hr, hr, snr=clip_snr, nan_policy="omit")
            short = label.split(" ")[0]
            row[f"MAE {short}"] = table.loc["MAE", "value"]
            row[f"SE {short}"] = table.loc["MAE", "std_error"]
            row[f"RMSE {short}"] = table.loc["RMSE", "value"]
            row[f"no est. {short}"] = int((~ok).sum())
            if cls is POS and band == HR_BAND:
                pos_hr = hr
        row["Pearson (default band)"] = evaluate_hr(
            data.hr, np.asarray(estimate_hr(wave, fs), dtype=float), nan_policy="omit"
        ).loc["Pearson", "value"]
        row["SNR dB"] = float(np.mean(clip_snr))
        row["frames/s"] = data.videos.shape[0] * data.videos.shape[1] / elapsed
        rows.append(row)
    summary = pd.DataFrame(rows).set_index("method")

    err = np.abs(pos_hr - data.hr)
    by_skin = (
        pd.DataFrame({"Fitzpatrick": data.fitzpatrick, "abs error": err, "hr": data.hr})
        .groupby("Fitzpatrick")
        .agg(videos=("hr", "size"), MAE=("abs error", "mean"), max_error=("abs error", "max"))
    )
    worst = (
        pd.DataFrame(
            {
                "true HR": data.hr,
                "POS HR": pos_hr,
                "abs error": err,
                "Fitzpatrick": data.fitzpatrick,
            }
        )
        .sort_values("abs error", ascending=False)
        .head(5)
    )
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 160):
        print(summary.to_string())
        print("\nPOS by skin type (default band):")
        print(by_skin.to_string())
        print("\nPOS, five largest errors:")
        print(worst.to_string())
    setting = (
        f"{data.videos.shape[0]} videos ({args.subjects} subjects) of {args.duration:g} s at "
        f"{args.size}x{args.size}, {fs:g} fps, label noise '{args.label_noise}', seed "
        f"{args.seed}; generation took {gen_s:.1f} s. True HR {data.hr.min():.1f}-"
        f"{data.hr.max():.1f} bpm. MAE/RMSE in bpm, SE = standard error of the MAE."
    )
    figure_md = figure(summary, data.hr, pos_hr, data.fitzpatrick)
    path = write_results(
        "baselines_synthetic",
        "Baselines on synthetic videos (known pulse)",
        [
            ("Setting", setting),
            ("HR error by method and band", summary),
            ("Figure", figure_md),
            ("POS by Fitzpatrick skin type (default band)", by_skin),
            ("POS: five largest errors", worst),
        ],
    )
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
