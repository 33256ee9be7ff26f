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

Run: ``python benchmarks/bench_hr_chain.py [--subjects 600] [--noise-windows 2000]``. Writes
docs/benchmarks/hr_chain.md.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import warnings

import numpy as np
import pandas as pd
from _common import log, write_results

from lqrppg.datasets import make_synthetic_rppg
from lqrppg.exceptions import EstimationWarning
from lqrppg.signal import HR_BAND, estimate_hr, hr_peaks, snr

FS = 30.0
STRONG_DICROTIC = 0.4
DEFAULT_BAND = HR_BAND


def quality(x: np.ndarray, fs: float, chain: str = "robust"):
    """HR, SNR and confidence label of each row by the library's HR routine."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        est = estimate_hr(x, fs, chain=chain, return_quality=True)
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
    hr, _, labels = quality(data.ppg_clean, FS)
    err = np.abs(hr - hr_true)
    doubled = np.abs(hr / hr_true - 2.0) < 0.1
    bins = np.arange(40, 181, 10)
    rows = []
    for subset, mask in (("strong dicrotic", ratio >= STRONG_DICROTIC), ("all", ratio >= 0)):
        for lo, hi in itertools.pairwise(bins):
            sel = mask & (hr_true >= lo) & (hr_true < hi)
            if not sel.any():
                continue
            e = err[sel]
            est = np.isfinite(e)
            rows.append(
                {
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
    return pd.DataFrame(rows), ratio


def white_noise_table(n_windows: int, seed: int):
    rng = np.random.default_rng(seed)
    rows = []
    for seconds in (2.0, 10.0, 30.0):
        x = rng.standard_normal((n_windows, round(seconds * FS)))
        hr, s, labels = quality(x, FS)
        finite = np.isfinite(s)
        rows.append(
            {
                "window (s)": seconds,
                "windows": n_windows,
                "high %": 100 * np.mean(labels == "high"),
                "medium %": 100 * np.mean(labels == "medium"),
                "low %": 100 * np.mean(labels == "low"),
                "no estimate %": 100 * np.mean(~np.isfinite(hr)),
                "SNR not finite %": 100 * np.mean(np.isfinite(hr) & ~finite),
                "SNR 95th pct (dB)": float(np.percentile(s[finite], 95))
                if finite.any()
                else np.nan,
            }
        )
    return pd.DataFrame(rows)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=600, help="clean-pulse subjects (600)")
    parser.add_argument("--noise-windows", type=int, default=2000, help="per length (2000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    log("clean pulses")
    clean, ratio = clean_pulse_table(args.subjects, args.seed)
    log("white noise")
    noise = white_noise_table(args.noise_windows, args.seed)
    log("short windows, hr_peaks")
    short = short_window_table()
    peaks = peaks_table()
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 160):
        for title, table in (
            ("clean pulse by HR", clean),
            ("white noise", noise),
            ("short windows", short),
            ("hr_peaks out of band", peaks),
        ):
            print(f"\n{title}:\n{table.to_string(index=False)}")
    setting = (
        f"Default chain: `estimate_hr(x, fs)` (its default band); SNR by `snr` around the "
        f"estimate; confidence labels as the CLI gives them. Clean pulses: {args.subjects} "
        f"subjects, seed {args.seed}; {int((ratio >= STRONG_DICROTIC).sum())} have a second "
        f"harmonic of at least {STRONG_DICROTIC} times the fundamental's amplitude (strong "
        "dicrotic wave). An estimate is 'read at 2x' within 10 % of twice the truth."
    )
    path = write_results(
        "hr_chain",
        "The HR chain on signals with a known answer",
        [
            ("Setting", setting),
            ("Clean pulse (ppg_clean) by heart rate, 30 s windows", clean.set_index("subjects")),
            ("White noise: confidence labels", noise.set_index("window (s)")),
            (
                "Clean 72 bpm sine: SNR at the true rate and 10 bpm away",
                short.set_index("window (s)"),
            ),
            ("hr_peaks on rates outside the band", peaks.set_index("input (20 s at 30 Hz)")),
        ],
    )
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
