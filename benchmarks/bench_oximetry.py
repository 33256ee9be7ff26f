"""Unsupervised baselines on real camera PPG: the oximetry phone-camera study.

Six subjects held a fingertip on a phone camera (flash on) for 14-19 minutes while pulse
oximeters logged HR once a second (Hoffman et al., npj Digital Medicine 5:146, 2022; MIT
licence; data read from ../shared/data/oximetry_phone_cam, not shipped).

Protocol: each recording's per-frame mean RGB trace (30 Hz) is cut into non-overlapping
30 s windows; every method gives one HR per window through ``estimate_hr`` (detrend,
band-pass 0.75-2.5 Hz, spectral peak); the reference is the mean of oximeter ``Pulse 1``
over the window's seconds. Windows whose reference has a missing second are left out and
counted. Every method and every subject is reported.

Run: ``python benchmarks/bench_oximetry.py [--window 30]``. Writes
docs/benchmarks/oximetry_phone_cam.md.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np
import pandas as pd
from _common import shared_data_dir, write_results

from lqrppg.baselines import CHROM, GREEN, ICA, LGI, OMIT, PBV, POS
from lqrppg.datasets import load_oximetry_phone_cam
from lqrppg.exceptions import EstimationWarning
from lqrppg.metrics import evaluate_hr

METHODS = (GREEN, CHROM, POS, LGI, PBV, ICA, OMIT)


def windows(trace: np.ndarray, ref: pd.DataFrame, fs: float, window: float):
    """Cut a (T, 3) trace into windows; return clips (n, W, 3), reference HR, skipped count."""
    n_win = round(window * fs)
    n = trace.shape[0] // n_win
    clips = trace[: n * n_win].reshape(n, n_win, 3)
    pulse = ref["pulse_1"].to_numpy()
    hr_ref = np.full(n, np.nan)
    for i in range(n):
        seconds = pulse[int(i * window) : int((i + 1) * window)]
        if seconds.size == int(window) and np.all(np.isfinite(seconds)):
            hr_ref[i] = seconds.mean()
    keep = np.isfinite(hr_ref)
    return clips[keep], hr_ref[keep], int((~keep).sum())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=30.0, help="window length, s (30)")
    parser.add_argument(
        "--band", type=float, nargs=2, default=(0.75, 2.5), help="HR band in Hz (0.75 2.5)"
    )
    args = parser.parse_args()
    root = shared_data_dir() / "oximetry_phone_cam"
    if not root.is_dir():
        print(f"oximetry_phone_cam not found at {root}; set LQRPPG_SHARED_DATA")
        return 1
    data = load_oximetry_phone_cam(root)
    fs = data.fs

    per_subject, all_true, all_pred = [], [], {m.__name__: [] for m in METHODS}
    skipped_total, failed = 0, {m.__name__: 0 for m in METHODS}
    for sid, trace, ref in zip(data.subjects, data.traces, data.reference, strict=True):
        clips, hr_ref, skipped = windows(trace, ref, fs, args.window)
        skipped_total += skipped
        all_true.append(hr_ref)
        row = {
            "subject": sid,
            "windows": hr_ref.size,
            "skipped": skipped,
            "HR range": f"{hr_ref.min():.0f}-{hr_ref.max():.0f}",
        }
        for cls in METHODS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EstimationWarning)
                hr = cls(fs=fs, band=tuple(args.band)).predict_hr(clips)
            failed[cls.__name__] += int(np.isnan(hr).sum())
            all_pred[cls.__name__].append(hr)
            ok = np.isfinite(hr)
            row[cls.__name__] = float(np.mean(np.abs(hr[ok] - hr_ref[ok]))) if ok.any() else np.nan
        per_subject.append(row)

    hr_true = np.concatenate(all_true)
    summary = []
    for name, parts in all_pred.items():
        hr = np.concatenate(parts)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            table = evaluate_hr(hr_true, hr, nan_policy="omit")
        summary.append(
            {
                "method": name,
                "MAE": table.loc["MAE", "value"],
                "MAE SE": table.loc["MAE", "std_error"],
                "RMSE": table.loc["RMSE", "value"],
                "MAPE %": table.loc["MAPE", "value"],
                "Pearson": table.loc["Pearson", "value"],
                "windows": int(table.loc["MAE", "n"]),
                "no estimate": failed[name],
            }
        )
    summary = pd.DataFrame(summary).set_index("method").sort_values("MAE")
    per_subject = pd.DataFrame(per_subject).set_index("subject")
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 140):
        print(
            f"All 6 subjects, {args.window:g} s windows, band {args.band[0]:g}-"
            f"{args.band[1]:g} Hz, reference oximeter 'Pulse 1':"
        )
        print(summary.to_string())
        print("\nMAE (bpm) per subject:")
        print(per_subject.to_string())
    note = (
        f"HR band {args.band[0]:g}-{args.band[1]:g} Hz ({60 * args.band[0]:g}-"
        f"{60 * args.band[1]:g} bpm); windows where a method gives no estimate (NaN: no peak "
        "inside the band) are left out of its metrics and counted in 'no estimate'. "
        f"{hr_true.size} windows of {args.window:g} s from 6 subjects; {skipped_total} windows "
        "skipped because the oximeter reference had a missing second. Fingertip on the lens "
        "with the flash on: the pulse is strongest in the red channel, and the skin-colour "
        "models of CHROM/POS/PBV assume facial skin under ambient light."
    )
    band_tag = "" if tuple(args.band) == (0.75, 2.5) else f"_band_{args.band[0]:g}-{args.band[1]:g}"
    path = write_results(
        f"oximetry_phone_cam{band_tag}",
        "Baselines on real phone-camera PPG (oximetry_phone_cam)",
        [
            ("Setting", note),
            ("HR error over all windows", summary),
            ("MAE (bpm) per subject", per_subject),
        ],
    )
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
