"""The shared HR chain on signals with a known answer: clean pulses, white noise, short windows.

Four checks of ``lqrppg.signal`` (the routine every method, model, metric and the CLI use),
each against a closed-form or generated truth:

1. Clean pulse by heart rate: the synthetic generator's ``ppg_clean`` (the blood-volume pulse
   itself, no noise; ``make_synthetic_rppg`` with no motion, light change or label noise),
   30 s at 30 fps, base heart rates drawn uniformly over 40-180 bpm, through ``estimate_hr``
   at its defaults. Truth: the generator's ``hr``. Subjects with a "strong dicrotic wave"
   are those whose second harmonic has at least 0.4 times the amplitude of the fundamental
   (measured on ``ppg_clean`` at the known rate; about the strongest third).
2. White noise: windows of 2, 10 and 30 s at 30 fps of Gaussian white noise; the share of
   windows whose HR estimate is labelled high / medium / low confidence (SNR around the
   window's own estimate), or that get no estimate.
3. Short windows: a clean 72 bpm sine of 1-10 s; the SNR at 72 bpm and the largest SNR at any
   rate 10 bpm or more away (the right rate must score higher).
4. ``hr_peaks`` on inputs whose rate is outside the band: what it returns, and whether it
   warns.
5. The default band: on synthetic videos (32 x 32 px, 20 s, base heart rates 45-150 bpm,
   mild and moderate motion and light changes, 2 x 30 subjects each) GREEN, POS and CHROM
   with the robust chain over 45-150, 40-150 and 40-180 bpm (and rPPG-Toolbox's chain
   over 45-150 bpm); on the oximetry_phone_cam windows (if ../shared/data is there) the same
   bands. Counted: estimates more than 10 % off the truth, declines, and the estimates
   given at the default gate (SNR >= MIN_SNR) and how many of those are 10 % off.

Rows marked "toolbox, 45-150 bpm" run ``chain="toolbox"`` with ``band=(0.75, 2.5)``: the
library's HR routine as it was before the robust chain (the same code path).

Run: ``python benchmarks/bench_hr_chain.py [--subjects 600] [--noise-windows 2000]``. Writes
docs/benchmarks/hr_chain.md and its figure docs/benchmarks/hr_chain.png.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import warnings

import numpy as np
import pandas as pd
from _common import FIGURE_WIDTH, log, pyplot, save_figure, shared_data_dir, write_results

from lqrppg.baselines import CHROM, GREEN, POS, Auto
from lqrppg.datasets import load_oximetry_phone_cam, make_synthetic_rppg
from lqrppg.exceptions import EstimationWarning
from lqrppg.signal import CONFIDENCE_THRESHOLDS, HR_BAND, MIN_SNR, estimate_hr, hr_peaks, snr

FS = 30.0
STRONG_DICROTIC = 0.4
DEFAULT_BAND = HR_BAND


CHAINS = {"robust (default)": {}, "toolbox, 45-150 bpm": {"chain": "toolbox", "band": (0.75, 2.5)}}


def quality(x: np.ndarray, fs: float, **chain):
    """HR, SNR and confidence label of each row by the library's HR routine."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        est = estimate_hr(x, fs, return_quality=True, **chain)
    return est.hr, est.snr, est.confidence.astype(str)


def harmonic_ratio(x: np.ndarray, hr: np.ndarray, fs: float) -> np.ndarray:
    """Amplitude of the second harmonic over the fundamental's, at the known rate."""
    t = np.arange(x.shape[-1]) / fs
    f = hr[:, None] / 60.0
    a1 = np.abs(np.sum(x * np.exp(-2j * np.pi * f * t), axis=1))
    a2 = np.abs(np.sum(x * np.exp(-4j * np.pi * f * t), axis=1))
    return a2 / a1


def clean_pulse_table(n_subjects: int, seed: int):
    data = make_synthetic_rppg(
        n_subjects=n_subjects,
        duration=30.0,
        fs=FS,
        frame_size=(8, 8),
        hr_range=(40.0, 180.0),
        motion="none",
        illumination="none",
        label_noise="none",
        random_state=seed,
    )
    hr_true = data.hr
    ratio = harmonic_ratio(data.ppg_clean, hr_true, FS)
    bins = np.arange(40, 181, 10)
    rows = []
    subsets = (("strong dicrotic", ratio >= STRONG_DICROTIC), ("all", ratio >= 0))
    estimates = {chain: quality(data.ppg_clean, FS, **kw) for chain, kw in CHAINS.items()}
    for chain, (subset, mask) in itertools.product(CHAINS, subsets):
        hr, _, labels = estimates[chain]
        err = np.abs(hr - hr_true)
        doubled = np.abs(hr / hr_true - 2.0) < 0.1
        for lo, hi in itertools.pairwise(bins):
            sel = mask & (hr_true >= lo) & (hr_true < hi)
            if not sel.any():
                continue
            e = err[sel]
            est = np.isfinite(e)
            rows.append(
                {
                    "chain": chain,
                    "subjects": subset,
                    "HR bin (bpm)": f"{lo}-{hi}",
                    "n": int(sel.sum()),
                    "estimated": int(est.sum()),
                    "MAE": float(np.mean(e[est])) if est.any() else np.nan,
                    "max error": float(np.max(e[est])) if est.any() else np.nan,
                    "off > 3 bpm": int((e[est] > 3).sum()),
                    "read at 2x": int(doubled[sel].sum()),
                    "labelled high": int((labels[sel] == "high").sum()),
                }
            )
    points = {chain: est[0] for chain, est in estimates.items()}
    return pd.DataFrame(rows), ratio, hr_true, points


def white_noise_table(n_windows: int, seed: int):
    rng = np.random.default_rng(seed)
    rows, snrs = [], {}
    for what, seconds in itertools.product(("estimate_hr", "Auto (RGB noise)"), (2.0, 10.0, 30.0)):
        n = n_windows if what == "estimate_hr" else n_windows // 4
        if what == "estimate_hr":
            hr, s, labels = quality(rng.standard_normal((n, round(seconds * FS))), FS)
            snrs[seconds] = s
        else:
            rgb = 120.0 + rng.standard_normal((n, round(seconds * FS), 3))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EstimationWarning)
                est = Auto(fs=FS).predict_quality(rgb)
            hr, s, labels = est.hr, est.snr, est.confidence.astype(str)
        finite = np.isfinite(s)
        rows.append(
            {
                "routine": what,
                "window (s)": seconds,
                "windows": n,
                "high %": 100 * np.mean(labels == "high"),
                "medium %": 100 * np.mean(labels == "medium"),
                "low %": 100 * np.mean(labels == "low"),
                "reliable (SNR >= MIN_SNR) %": 100 * np.mean(finite & (s >= MIN_SNR)),
                "no estimate %": 100 * np.mean(~np.isfinite(hr)),
                "SNR not finite %": 100 * np.mean(np.isfinite(hr) & ~finite),
                "SNR 95th pct (dB)": float(np.percentile(s[finite], 95))
                if finite.any()
                else np.nan,
            }
        )
    return pd.DataFrame(rows), snrs


def short_window_table():
    rows = []
    for seconds in (1.0, 2.0, 3.0, 5.0, 10.0):
        t = np.arange(round(seconds * FS)) / FS
        x = np.sin(2 * np.pi * 1.2 * t)
        rates = np.arange(40.0, 180.01, 0.5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = np.array([snr(x, r, FS, band=DEFAULT_BAND) for r in rates])
        at_true = float(snr(x, 72.0, FS, band=DEFAULT_BAND))
        away = np.abs(rates - 72.0) >= 10
        finite_away = s[away][np.isfinite(s[away])]
        best_away = float(finite_away.max()) if finite_away.size else np.nan
        rows.append(
            {
                "window (s)": seconds,
                "SNR at 72 bpm (dB)": at_true,
                "best SNR >= 10 bpm away (dB)": best_away,
                "at that rate (bpm)": float(
                    rates[away][np.nanargmax(np.where(np.isfinite(s[away]), s[away], -np.inf))]
                ),
                "non-finite SNRs": int((~np.isfinite(s)).sum()),
                "true rate best": bool(np.isfinite(at_true) and at_true > best_away),
            }
        )
    return pd.DataFrame(rows)


def peaks_table():
    t = np.arange(600) / FS
    cases = {
        "0.5 Hz sine (30 bpm)": np.sin(2 * np.pi * 0.5 * t),
        "210 bpm sine": np.sin(2 * np.pi * 3.5 * t),
        "flat": np.zeros(600),
        "72 bpm sine (in band)": np.sin(2 * np.pi * 1.2 * t),
    }
    rows = []
    for name, x in cases.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hr = hr_peaks(x, FS)
        rows.append(
            {
                "input (20 s at 30 Hz)": name,
                "hr_peaks (bpm)": hr,
                "warned": any(issubclass(w.category, EstimationWarning) for w in caught),
            }
        )
    return pd.DataFrame(rows)


BANDS = {
    "robust, 45-150 bpm": {"band": (0.75, 2.5)},
    "robust, 40-150 bpm": {"band": (40 / 60, 2.5)},
    "robust, 40-180 bpm (default)": {},
    "toolbox, 45-150 bpm": {"band": (0.75, 2.5), "chain": "toolbox"},
}


def _count(rows, setting, data, hr_est, s, truth):
    off = np.abs(hr_est - truth) > 0.1 * truth
    given = np.isfinite(hr_est) & (s >= MIN_SNR)
    rows.append(
        {
            "data": data,
            "setting": setting,
            "items": int(truth.size),
            "off > 10 %": int((off & np.isfinite(hr_est)).sum()),
            "declined": int((~np.isfinite(hr_est)).sum()),
            "given (SNR >= MIN_SNR)": int(given.sum()),
            "given, off > 10 %": int((given & off).sum()),
        }
    )


def band_table(seed: int):
    rows = []
    for motion in ("mild", "moderate"):
        parts = [
            make_synthetic_rppg(
                n_subjects=30,
                duration=20.0,
                frame_size=(32, 32),
                motion=motion,
                illumination=motion,
                hr_range=(45.0, 150.0),
                random_state=seed + k,
            )
            for k in (1, 2)
        ]
        traces = np.concatenate([d.videos.mean(axis=(2, 3)) for d in parts])
        truth = np.concatenate([d.hr for d in parts])
        for setting, kwargs in BANDS.items():
            hr_all, s_all = [], []
            for cls in (GREEN, POS, CHROM):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", EstimationWarning)
                    est = cls(fs=FS, **kwargs).predict_quality(traces)
                hr_all.append(est.hr)
                s_all.append(est.snr)
            _count(
                rows,
                setting,
                f"synthetic, {motion} (GREEN, POS, CHROM)",
                np.concatenate(hr_all),
                np.concatenate(s_all),
                np.tile(truth, 3),
            )
    root = shared_data_dir() / "oximetry_phone_cam"
    if root.is_dir():
        data = load_oximetry_phone_cam(root)
        clips, truth = [], []
        for trace, ref in zip(data.traces, data.reference, strict=True):
            pulse = ref["pulse_1"].to_numpy()
            for i in range(trace.shape[0] // 900):
                sec = pulse[30 * i : 30 * (i + 1)]
                if sec.size == 30 and np.all(np.isfinite(sec)):
                    clips.append(trace[900 * i : 900 * (i + 1)])
                    truth.append(sec.mean())
        clips, truth = np.stack(clips), np.array(truth)
        for setting, kwargs in BANDS.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EstimationWarning)
                est = GREEN(fs=FS, **kwargs).predict_quality(clips)
            _count(rows, setting, "oximetry_phone_cam 30 s (GREEN)", est.hr, est.snr, truth)
    return pd.DataFrame(rows)


def figure(hr_true, points, ratio, snrs, short) -> str:
    """Clean pulses by chain (estimate vs truth), white-noise SNRs, short-window SNRs."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(FIGURE_WIDTH, 7.6), layout="constrained")
    strong = ratio >= STRONG_DICROTIC
    lim = (30.0, 190.0)
    for ax, (chain, hr) in zip(axes[0], points.items(), strict=True):
        band = CHAINS[chain].get("band", HR_BAND)
        ax.axhspan(60 * band[0], 60 * band[1], color="0.93", zorder=0, label="HR band")
        ax.plot(lim, lim, color="k", lw=0.8, label="estimate = truth")
        ax.plot(
            (lim[0], lim[1] / 2), (2 * lim[0], lim[1]), color="k", ls=":", lw=0.8, label="2 x truth"
        )
        for sel, colour, name in ((~strong, "C0", "weak"), (strong, "C3", "strong")):
            ok = sel & np.isfinite(hr)
            ax.scatter(hr_true[ok], hr[ok], s=7, color=colour, label=f"{name} dicrotic wave")
            gone = sel & ~np.isfinite(hr)
            ax.scatter(
                hr_true[gone], np.full(gone.sum(), lim[0] + 2), marker="x", s=18, color=colour
            )
        n_gone = int((~np.isfinite(hr)).sum())
        ax.set_title(f"clean pulses, {chain} chain\n{n_gone} of {hr.size} declined (x at the foot)")
        ax.set_xlim(lim)
        ax.set_ylim(lim)
        ax.set_xlabel("true HR (bpm)")
        ax.set_ylabel("estimate_hr (bpm)")
        ax.legend(loc="upper left", fontsize="small")
    ax = axes[1, 0]
    edges = np.arange(-20.0, 20.01, 1.0)
    for seconds, values in snrs.items():
        v = values[np.isfinite(values)]
        ax.hist(
            np.clip(v, edges[0], edges[-1]),
            bins=edges,
            histtype="step",
            lw=1.3,
            label=f"{seconds:g} s ({v.size})",
        )
    for level, name in CONFIDENCE_THRESHOLDS:
        ax.axvline(level, color="k", ls="--" if name == "high" else "-", lw=0.8)
        ax.text(
            level,
            0.98,
            f"{name} from {level:g} dB ",
            transform=ax.get_xaxis_transform(),
            va="top",
            ha="right",
            rotation=90,
            fontsize="small",
        )
    ax.set_yscale("log")
    ax.set_xlabel("SNR around the estimate (dB)")
    ax.set_ylabel("windows")
    ax.set_title(
        "white noise (estimate_hr): SNR around the estimate\nright of 0 dB would be given a number"
    )
    ax.legend(
        loc="upper right",
        fontsize="small",
        title="window (with an SNR)",
        title_fontsize="small",
    )
    ax = axes[1, 1]
    ax.plot(short["window (s)"], short["SNR at 72 bpm (dB)"], "o-", label="at the true 72 bpm")
    ax.plot(
        short["window (s)"],
        short["best SNR >= 10 bpm away (dB)"],
        "s--",
        label=">= 10 bpm away (best)",
    )
    ax.axhline(MIN_SNR, color="k", lw=0.8, label=f"MIN_SNR = {MIN_SNR:g} dB")
    ax.set_xlabel("window (s)")
    ax.set_ylabel("SNR (dB)")
    ax.set_title("clean 72 bpm sine: SNR by window length\nthe true rate must score higher")
    ax.legend(loc="upper left", fontsize="small")
    return save_figure(
        fig,
        "hr_chain",
        "Top: estimate_hr on the clean pulses against their true HR, robust chain (left) and "
        "toolbox 45-150 bpm chain (right); bottom: SNR of white-noise windows, and SNR of a "
        "clean sine by window length.",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=600, help="clean-pulse subjects (600)")
    parser.add_argument("--noise-windows", type=int, default=2000, help="per length (2000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    log("clean pulses")
    clean, ratio, hr_true, points = clean_pulse_table(args.subjects, args.seed)
    log("white noise")
    noise, snrs = white_noise_table(args.noise_windows, args.seed)
    log("short windows, hr_peaks")
    short = short_window_table()
    peaks = peaks_table()
    log("band choice (synthetic videos, oximetry)")
    bands = band_table(args.seed)
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 160):
        for title, table in (
            ("clean pulse by HR", clean),
            ("white noise", noise),
            ("short windows", short),
            ("hr_peaks out of band", peaks),
            ("band choice", bands),
        ):
            print(f"\n{title}:\n{table.to_string(index=False)}")
    setting = (
        "Default chain: `estimate_hr(x, fs, return_quality=True)` (robust chain, band "
        f"{60 * HR_BAND[0]:g}-{60 * HR_BAND[1]:g} bpm): HR, SNR around the estimate and "
        f"its confidence label; MIN_SNR = {MIN_SNR:g} dB. Clean pulses: {args.subjects} "
        f"subjects, seed {args.seed}; {int((ratio >= STRONG_DICROTIC).sum())} have a second "
        f"harmonic of at least {STRONG_DICROTIC} times the fundamental's amplitude (strong "
        "dicrotic wave). An estimate is 'read at 2x' within 10 % of twice the truth."
    )
    figure_md = figure(hr_true, points, ratio, snrs, short)
    path = write_results(
        "hr_chain",
        "The HR chain on signals with a known answer",
        [
            ("Setting", setting),
            ("Figure", figure_md),
            ("Clean pulse (ppg_clean) by heart rate, 30 s windows", clean.set_index("chain")),
            ("White noise: confidence labels", noise.set_index("routine")),
            (
                "Clean 72 bpm sine: SNR at the true rate and 10 bpm away",
                short.set_index("window (s)"),
            ),
            ("hr_peaks on rates outside the band", peaks.set_index("input (20 s at 30 Hz)")),
            ("The default band: errors, declines and the gate", bands.set_index("data")),
        ],
    )
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
