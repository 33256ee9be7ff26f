"""Model complexity: parameters, MACs per frame and CPU throughput (METHOD.md section 6).

One clip of 160 frames per forward pass, as in the paper: MACs per frame = MACs of the clip
/ 160 (counted with ``torch.utils.flop_counter``, MACs = FLOPs / 2; the counter does not see
the selective scan's element-wise work, reported separately as an estimate), throughput =
frames per second of CPU inference of the network (``torch.inference_mode``, eval mode).

Networks, each at the input size it is used at and at the other one:
- LQ-rPPG C2F in our form (``architecture='lqrppg'``), the form of the shipped
  ``synthetic-32`` weights (which run at 32 x 32);
- the LQ-rPPG authors' released network (``architecture='authors'``, UBFC_UBFC weights
  loaded from ``../shared/lq_rppg_authors`` or ``--authors DIR`` when present, else the same
  architecture with random weights: the speed is the same), which runs at 128 x 128;
- PhysNet; POS on the same clip (uint8 frames, spatial mean included).

Speeds are measured interleaved: every repeat runs every (network, size, threads) once, so
load from other processes hits all of them alike; the table gives the best of the repeats
and ratios within this one run.

Run: ``python benchmarks/bench_complexity.py [--repeats 5] [--threads 1 2]``. Writes
docs/benchmarks/complexity.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _common import REPO, log, pyplot, save_figure, write_results
from torch.utils.flop_counter import FlopCounterMode

from lqrppg.baselines import POS
from lqrppg.models import LQRPPGRegressor
from lqrppg.nn import C2FNet, PhysNet

T = 160
SIZES = (32, 128)


def _macs_per_frame(net, x) -> float:
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        net(x)
    return counter.get_total_flops() / 2 / T


def _networks(authors_dir: Path | None) -> dict[str, torch.nn.Module]:
    shipped = LQRPPGRegressor.pretrained().module_.eval()
    if authors_dir is not None and (authors_dir / "configs").is_dir():
        from lqrppg.models import load_authors_checkpoint

        authors = load_authors_checkpoint(authors_dir, "UBFC_UBFC").module_.eval()
        authors_name = "LQ-rPPG authors' release (UBFC_UBFC)"
    else:
        books = [np.linspace(-1.5, 1.5, k) for k in (2, 4, 8, 16, 32)]
        authors = C2FNet(T, codebooks=books, architecture="authors").eval()
        authors_name = "LQ-rPPG authors' architecture (random weights)"
    return {
        "LQ-rPPG C2F, ours (synthetic-32 weights)": shipped,
        authors_name: authors,
        "PhysNet": PhysNet().eval(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--authors",
        type=Path,
        default=REPO.parent / "shared" / "lq_rppg_authors",
        help="folder of the authors' release (default ../shared/lq_rppg_authors)",
    )
    args = parser.parse_args()
    nets = _networks(args.authors)
    gen = torch.Generator().manual_seed(0)
    inputs = {s: torch.rand(1, 3, T, s, s, generator=gen) for s in SIZES}
    videos = {
        s: (x.permute(0, 2, 3, 4, 1).numpy() * 255).astype(np.uint8) for s, x in inputs.items()
    }
    pos = POS(fs=30.0)

    static = []
    for name, net in nets.items():
        params = sum(p.numel() for p in net.parameters())
        for s in SIZES:
            static.append(
                {
                    "network": name,
                    "input": f"{s}x{s}",
                    "parameters": params,
                    "MACs/frame (M)": _macs_per_frame(net, inputs[s]) / 1e6,
                }
            )

    def runner(name, s):
        if name == "POS":
            return lambda: pos.predict(videos[s])
        net, x = nets[name], inputs[s]

        def run():
            with torch.inference_mode():
                net(x)

        return run

    configs = [(n, s, th) for n in [*nets, "POS"] for s in SIZES for th in args.threads]
    times = {c: [] for c in configs}
    before = torch.get_num_threads()
    for c in configs:  # warm-up
        torch.set_num_threads(c[2])
        runner(c[0], c[1])()
    for r in range(args.repeats):
        for c in configs:
            torch.set_num_threads(c[2])
            fn = runner(c[0], c[1])
            t0 = time.perf_counter()
            fn()
            times[c].append(time.perf_counter() - t0)
        log(f"repeat {r + 1}/{args.repeats} done")
    torch.set_num_threads(before)

    rows = []
    for (name, s, th), ts in times.items():
        rows.append(
            {
                "network": name,
                "input": f"{s}x{s}",
                "threads": th,
                "frames/s (best)": T / min(ts),
                "frames/s (median)": T / float(np.median(ts)),
            }
        )
    speed = pd.DataFrame(rows)
    wide = speed.pivot_table(
        index=["network", "input"], columns="threads", values="frames/s (best)", sort=False
    )
    wide.columns = [f"frames/s, {t} thread{'s' if t > 1 else ''}" for t in wide.columns]
    if len(args.threads) == 2:
        a, b = wide.columns
        wide[f"{b} / {a}"] = wide[b] / wide[a]
    table = pd.DataFrame(static).set_index(["network", "input"]).join(wide, how="outer")
    table = table.reindex(wide.index)

    names = list(nets)
    ours, authors, physnet = names
    ratio_rows = []
    for s in SIZES:
        for th in args.threads:
            col = f"frames/s, {th} thread{'s' if th > 1 else ''}"
            key = f"{s}x{s}"
            ratio_rows.append(
                {
                    "input": key,
                    "threads": th,
                    "authors' / ours": table.loc[(authors, key), col] / table.loc[(ours, key), col],
                    "ours / PhysNet": table.loc[(ours, key), col] / table.loc[(physnet, key), col],
                    "authors' / PhysNet": table.loc[(authors, key), col]
                    / table.loc[(physnet, key), col],
                }
            )
    ratios = pd.DataFrame(ratio_rows).set_index(["input", "threads"])
    d_inner, d_state = 2 * 64, 48
    scan_macs = 4 * 2 * 2 * d_inner * d_state / 1e6
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 160):
        print(table.to_string())
        print(ratios.to_string())
    path = write_results(
        "complexity",
        "Model complexity and CPU throughput",
        [
            (
                "Setting",
                f"one clip (1, 3, {T}, H, W) per forward pass, H = W = 32 and 128; torch threads "
                f"{', '.join(map(str, args.threads))}; best (and median) of {args.repeats} "
                "interleaved repeats after a warm-up; inference mode, eval. The selective "
                f"scans add about {scan_macs:.2f} M multiply-adds per frame that the counter "
                "does not see. The shipped synthetic-32 model runs at 32x32, the authors' "
                "released models at 128x128.",
            ),
            ("Networks", table),
            ("Ratios within this run", ratios),
            ("Figure", _figure(speed)),
        ],
    )
    print(f"written: {path}")


def _figure(speed: pd.DataFrame) -> str:
    """Frames/s (best) of every network at both sizes and thread counts, log scale."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(SIZES), figsize=(9, 3.6), sharey=True)
    for ax, size in zip(axes, SIZES, strict=True):
        part = speed[speed["input"] == f"{size}x{size}"]
        table = part.pivot_table(
            index="network", columns="threads", values="frames/s (best)", sort=False
        )
        x = np.arange(len(table))
        width = 0.8 / len(table.columns)
        for k, threads in enumerate(table.columns):
            ax.bar(x + k * width, table[threads], width, label=f"{threads} thread(s)")
        ax.set_xticks(x + width * (len(table.columns) - 1) / 2)
        short = {n: n.split(" (")[0].replace("LQ-rPPG ", "") for n in table.index}
        ax.set_xticklabels([short[n].replace(" ", "\n", 1) for n in table.index], fontsize=8)
        ax.set_yscale("log")
        ax.set_title(f"{size} x {size} input, 160-frame clips")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("frames/s (best of the repeats)")
    axes[0].legend()
    fig.tight_layout()
    return save_figure(
        fig, "complexity", "CPU inference frames/s per network, input size and thread count"
    )


if __name__ == "__main__":
    main()
