"""Model complexity: parameters, MACs per frame and CPU throughput (METHOD.md section 6).

One input of shape (1, 3, 160, 128, 128) (a 160-frame 128x128 RGB clip), as in the paper:
MACs per frame = MACs of the clip / 160 (counted with ``torch.utils.flop_counter``,
MACs = FLOPs / 2; the counter does not see the selective scan's element-wise work, which
is reported separately as an estimate), throughput = frames per second of CPU inference
(``torch.inference_mode``, best of repeats after a warm-up). POS runs on the same clip
(uint8 frames, spatial mean included).

Run: ``python benchmarks/bench_complexity.py [--threads 2] [--repeats 5]``. Writes
docs/benchmarks/complexity.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from _common import write_results
from torch.utils.flop_counter import FlopCounterMode

from lqrppg.baselines import POS
from lqrppg.nn import C2FNet, PhysNet

T, H, W = 160, 128, 128


def _macs_per_frame(net, x) -> float:
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        net(x)
    return counter.get_total_flops() / 2 / T


def _fps(fn, repeats) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return T / min(times), T / float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, T, H, W, generator=gen)
    video = (x.permute(0, 2, 3, 4, 1).numpy() * 255).astype(np.uint8)

    codebooks = [np.linspace(-1.5, 1.5, k) for k in (2, 4, 8, 16, 32)]
    c2f = C2FNet(seq_len=T, codebooks=codebooks).eval()
    physnet = PhysNet().eval()
    pos = POS(fs=30.0)

    rows = []
    for name, net in (("LQ-rPPG C2F", c2f), ("PhysNet", physnet)):
        params = sum(p.numel() for p in net.parameters())
        macs = _macs_per_frame(net, x)

        def run(net=net):
            with torch.inference_mode():
                net(x)

        best, median = _fps(run, args.repeats)
        rows.append(
            {
                "model": name,
                "parameters (M)": params / 1e6,
                "MACs/frame (M)": macs / 1e6,
                "frames/s (best)": best,
                "frames/s (median)": median,
            }
        )
    best, median = _fps(lambda: pos.predict(video), args.repeats)
    rows.append(
        {
            "model": "POS",
            "parameters (M)": 0.0,
            "MACs/frame (M)": np.nan,
            "frames/s (best)": best,
            "frames/s (median)": median,
        }
    )
    table = pd.DataFrame(rows).set_index("model")
    ratios = pd.DataFrame(
        {
            "C2F / PhysNet": [
                table.loc["LQ-rPPG C2F", "parameters (M)"] / table.loc["PhysNet", "parameters (M)"],
                table.loc["LQ-rPPG C2F", "MACs/frame (M)"] / table.loc["PhysNet", "MACs/frame (M)"],
                table.loc["LQ-rPPG C2F", "frames/s (best)"]
                / table.loc["PhysNet", "frames/s (best)"],
            ]
        },
        index=["parameters", "MACs per frame", "throughput"],
    )
    # Selective scan work per frame, not seen by the counter: per block and direction,
    # d_inner * d_state multiply-adds for the state update and for the read-out.
    d_inner, d_state = 2 * c2f.dim, 48
    scan_macs = 4 * 2 * 2 * d_inner * d_state / 1e6
    targets = pd.DataFrame(
        [
            (
                "C2F parameters <= 0.5 M",
                f"{table.loc['LQ-rPPG C2F', 'parameters (M)']:.3f} M",
                table.loc["LQ-rPPG C2F", "parameters (M)"] <= 0.5,
            ),
            (
                "C2F MACs/frame <= 60 M",
                f"{table.loc['LQ-rPPG C2F', 'MACs/frame (M)']:.1f} M "
                f"(+ about {scan_macs:.2f} M in the scan)",
                table.loc["LQ-rPPG C2F", "MACs/frame (M)"] + scan_macs <= 60,
            ),
            (
                "C2F >= 300 frames/s on this CPU",
                f"{table.loc['LQ-rPPG C2F', 'frames/s (best)']:.0f}",
                table.loc["LQ-rPPG C2F", "frames/s (best)"] >= 300,
            ),
            (
                "C2F >= 3x PhysNet frames/s",
                f"{ratios.loc['throughput', 'C2F / PhysNet']:.1f}x",
                ratios.loc["throughput", "C2F / PhysNet"] >= 3,
            ),
        ],
        columns=["target", "measured", "met"],
    ).set_index("target")
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 140):
        print(f"input (1, 3, {T}, {H}, {W}), torch threads {args.threads}")
        print(table.to_string())
        print(ratios.to_string())
        print(targets.to_string())
    path = write_results(
        "complexity",
        "Model complexity and CPU throughput",
        [
            (
                "Setting",
                f"input (1, 3, {T}, {H}, {W}); torch threads {args.threads}; "
                f"best and median of {args.repeats} runs after a warm-up; inference mode, eval.",
            ),
            ("Models", table),
            ("Ratios", ratios),
            ("Targets", targets),
        ],
    )
    print(f"written: {path}")


if __name__ == "__main__":
    main()
