"""Selective scan: the chunked fast path against the step-by-step reference (CPU).

Times forward and forward+backward of ``selective_scan`` (the default used by every Mamba
block) and ``selective_scan_reference`` at the C2F block size (batch 16, L 160,
d_inner 128, d_state 48), reports the largest output difference, and times one
``BiMambaBlock(64, d_state=48)`` forward+backward.

Run: ``python benchmarks/bench_mamba_scan.py [--repeats 7] [--threads 1]``. Writes
docs/benchmarks/mamba_scan.md and its figure docs/benchmarks/mamba_scan.png (the timings as
bars).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from _common import FIGURE_WIDTH, pyplot, save_figure, write_results

from lqrppg.nn import BiMambaBlock, selective_scan, selective_scan_reference


def _inputs(gen, b=16, length=160, d=128, n=48):
    u = torch.randn(b, length, d, generator=gen)
    delta = torch.nn.functional.softplus(torch.randn(b, length, d, generator=gen) - 2)
    a = -torch.arange(1, n + 1, dtype=torch.float32).repeat(d, 1)
    bb = torch.randn(b, length, n, generator=gen)
    c = torch.randn(b, length, n, generator=gen)
    dd = torch.randn(d, generator=gen)
    return u, delta, a, bb, c, dd


def _time(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * min(times), 1e3 * float(np.median(times))


def figure(table: pd.DataFrame, block: tuple[float, float], threads: int) -> str:
    """Best and median times of both scans, forward and forward+backward, and of the block."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 3.4), layout="constrained")
    groups = ["forward", "fwd+bwd"]
    x = np.arange(len(groups))
    width = 0.8 / len(table)
    for k, (scan, row) in enumerate(table.iterrows()):
        pos = x + (k - (len(table) - 1) / 2) * width
        best = [row[f"{g} ms (best)"] for g in groups]
        median = [row[f"{g} ms (median)"] for g in groups]
        ax.bar(pos, best, width, label=f"{scan}: best")
        ax.scatter(pos, median, color="k", marker="_", s=200, zorder=3)
        for px, v, top in zip(pos, best, np.maximum(best, median), strict=True):
            ax.text(px, top * 1.03, f"{v:.1f}", ha="center", va="bottom", fontsize="small")
    ax.scatter([], [], color="k", marker="_", s=200, label="median")
    ax.bar(len(groups), block[0], 0.8 / len(table), color="0.6", label="BiMambaBlock: best")
    ax.scatter([len(groups)], [block[1]], color="k", marker="_", s=200, zorder=3)
    ax.text(
        len(groups),
        max(block) * 1.03,
        f"{block[0]:.1f}",
        ha="center",
        va="bottom",
        fontsize="small",
    )
    ax.set_ylim(top=1.15 * max(table.to_numpy().max(), *block))
    ax.set_xticks(
        [*x, len(groups)],
        ["scan forward", "scan forward+backward", "BiMambaBlock(64) fwd+bwd\n(16, 160, 64)"],
    )
    ax.set_ylabel("time (ms)")
    ax.set_title(
        f"selective scan (batch 16, L 160, d_inner 128, d_state 48), CPU, {threads} torch thread(s)"
    )
    ax.legend(loc="upper left", fontsize="small")
    return save_figure(
        fig,
        "mamba_scan",
        "Best (bars) and median (black ticks) time of the step-by-step reference scan and "
        "of selective_scan, forward and forward+backward, and of one BiMambaBlock.",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    u, delta, a, b, c, d = _inputs(gen)

    rows = []
    for name, fn in (
        ("reference (step loop)", selective_scan_reference),
        ("selective_scan (chunk 16)", selective_scan),
    ):

        def fwd(fn=fn):
            with torch.no_grad():
                return fn(u, delta, a, b, c, d)

        def fwd_bwd(fn=fn):
            ur = u.clone().requires_grad_(True)
            dr = delta.clone().requires_grad_(True)
            fn(ur, dr, a, b, c, d).square().mean().backward()

        f_best, f_med = _time(fwd, args.repeats)
        fb_best, fb_med = _time(fwd_bwd, args.repeats)
        rows.append(
            {
                "scan": name,
                "forward ms (best)": f_best,
                "forward ms (median)": f_med,
                "fwd+bwd ms (best)": fb_best,
                "fwd+bwd ms (median)": fb_med,
            }
        )
    table = pd.DataFrame(rows).set_index("scan")
    with torch.no_grad():
        diff = (
            (selective_scan(u, delta, a, b, c, d) - selective_scan_reference(u, delta, a, b, c, d))
            .abs()
            .max()
            .item()
        )

    block = BiMambaBlock(64, d_state=48)
    x = torch.randn(16, 160, 64, generator=gen)

    def block_step():
        block.zero_grad()
        block(x).square().mean().backward()

    blk_best, blk_med = _time(block_step, args.repeats)
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 140):
        print(f"(batch 16, L 160, d_inner 128, d_state 48), torch threads {args.threads}")
        print(table.to_string())
    print(f"max |fast - reference| = {diff:.2e}")
    print(
        f"BiMambaBlock(64, d_state=48) on (16, 160, 64), fwd+bwd: best {blk_best:.1f} ms, "
        f"median {blk_med:.1f} ms"
    )
    figure_md = figure(table, (blk_best, blk_med), args.threads)
    path = write_results(
        "mamba_scan",
        "Selective scan: fast path vs reference",
        [
            (
                "Setting",
                f"batch 16, L 160, d_inner 128, d_state 48, float32, CPU, "
                f"torch threads {args.threads}, {args.repeats} repeats",
            ),
            ("Timings", table),
            ("Figure", figure_md),
            ("Agreement", f"max absolute difference fast vs reference: {diff:.2e}"),
            (
                "BiMambaBlock(64, d_state=48), (16, 160, 64), forward+backward",
                f"best {blk_best:.1f} ms, median {blk_med:.1f} ms",
            ),
        ],
    )
    print(f"written: {path}")


if __name__ == "__main__":
    main()
