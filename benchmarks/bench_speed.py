"""Speed of the signal chain and of the unsupervised baselines on this machine.

1. ``detrend`` + ``bandpass`` + ``hr_fft`` on a 10-minute 30 fps signal (18 000 samples).
2. Frames per second of every baseline on 64x64 clips (spatial mean included), and of
   POS on RGB traces alone.

Run: ``python benchmarks/bench_speed.py [--repeats 5]``. Writes docs/benchmarks/speed.md.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd
from _common import write_results

from lqrppg.baselines import CHROM, GREEN, ICA, LGI, OMIT, PBV, POS
from lqrppg.signal import bandpass, detrend, hr_fft


def _best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))


def bench_signal_chain(repeats: int) -> pd.DataFrame:
    fs = 30.0
    t = np.arange(int(10 * 60 * fs)) / fs
    rng = np.random.default_rng(0)
    x = (
        np.sin(2 * np.pi * 1.2 * t)
        + 0.5 * np.sin(2 * np.pi * 0.05 * t)
        + rng.normal(0, 0.5, t.size)
    )
    steps = {
        "detrend (lambda 100)": lambda: detrend(x),
        "bandpass (0.75-2.5 Hz, order 1)": lambda: bandpass(x, fs),
        "hr_fft (interpolated)": lambda: hr_fft(x, fs),
        "all three": lambda: hr_fft(bandpass(detrend(x), fs), fs),
    }
    rows = []
    for name, fn in steps.items():
        best, median = _best_of(fn, repeats)
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append(
            {
                "step": name,
                "best ms": 1e3 * best,
                "median ms": 1e3 * median,
                "peak MB (tracemalloc)": peak / 1e6,
            }
        )
    return pd.DataFrame(rows).set_index("step")


def bench_baselines(repeats: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n, T, size = 8, 300, 64
    videos = rng.integers(60, 200, size=(n, T, size, size, 3), dtype=np.uint8)
    traces = videos.mean(axis=(2, 3))
    rows = []
    for cls in (GREEN, CHROM, POS, LGI, PBV, ICA, OMIT):
        est = cls(fs=30.0)
        best, _ = _best_of(lambda est=est: est.predict(videos), repeats)
        best_tr, _ = _best_of(lambda est=est: est.predict(traces), repeats)
        rows.append(
            {
                "method": cls.__name__,
                "frames/s (64x64 clips)": n * T / best,
                "frames/s (RGB traces)": n * T / best_tr,
                "ms per 10 s clip (64x64)": 1e3 * best / n,
            }
        )
    return pd.DataFrame(rows).set_index("method")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    chain = bench_signal_chain(args.repeats)
    base = bench_baselines(args.repeats)
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 120):
        print("Signal chain on a 10-minute 30 fps signal (18000 samples):")
        print(chain.to_string())
        print("\nBaselines, 8 clips x 300 frames (best of repeats):")
        print(base.to_string())
    path = write_results(
        "speed",
        "Speed: signal chain and baselines",
        [
            ("detrend + bandpass + hr_fft, 10 min at 30 fps", chain),
            ("Unsupervised baselines: frames per second (8 clips x 300 frames)", base),
        ],
    )
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
