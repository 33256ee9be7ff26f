"""Speed of the signal chain and of the unsupervised baselines on this machine.

1. ``detrend`` + ``bandpass`` + ``hr_fft`` on a 10-minute 30 fps signal (18 000 samples).
2. Frames per second of every baseline on 64x64 clips (spatial mean included), and of
   POS on RGB traces alone.

Run: ``python benchmarks/bench_speed.py [--repeats 5]``. Writes docs/benchmarks/speed.md and
its figure docs/benchmarks/speed.png (both tables as bars).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd
from _common import FIGURE_WIDTH, method_bars, pyplot, save_figure, write_results

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


def figure(chain: pd.DataFrame, base: pd.DataFrame) -> str:
    """Best time of each step of the signal chain; frames per second of every baseline."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(FIGURE_WIDTH, 3.8), layout="constrained", width_ratios=(1, 1.3)
    )
    y = np.arange(len(chain))
    left.barh(y, chain["best ms"], color="C0")
    for k, v in enumerate(chain["best ms"]):
        left.text(v, k, f" {v:.1f}", va="center", fontsize="small")
    left.set_yticks(y, chain.index)
    left.invert_yaxis()
    left.set_xlim(0, 1.25 * chain["best ms"].max())
    left.set_xlabel("best time (ms)")
    left.set_title("signal chain, 10 min at 30 fps (18 000 samples)")
    method_bars(
        right,
        base.index,
        {
            "64x64 clips": (base["frames/s (64x64 clips)"], None),
            "RGB traces": (base["frames/s (RGB traces)"], None),
        },
        xlabel="frames per second (log scale)",
        title="baselines, 8 clips x 300 frames (best of repeats)",
        legend_y=-0.17,
    )
    right.set_xscale("log")
    right.set_xlim(left=1e3)
    return save_figure(
        fig,
        "speed",
        "Left: best time of each step of the signal chain on a 10-minute signal; right: "
        "frames per second of every baseline on 64x64 clips and on RGB traces (log scale).",
    )


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
    figure_md = figure(chain, base)
    path = write_results(
        "speed",
        "Speed: signal chain and baselines",
        [
            ("detrend + bandpass + hr_fft, 10 min at 30 fps", chain),
            ("Unsupervised baselines: frames per second (8 clips x 300 frames)", base),
            ("Figure", figure_md),
        ],
    )
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
