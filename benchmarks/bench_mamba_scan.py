"""Selective scan: the chunked fast path against the step-by-step reference (CPU).

Times forward (under ``torch.no_grad()``: inference) and forward+backward of
``selective_scan`` with ``chunk_size='auto'`` (the default of every Mamba block) and with
fixed chunk sizes, of ``selective_scan_reference`` (autograd through the step loop), and of
the fast path as it was at a baseline commit (``--baseline``, its ``lqrppg/nn/_mamba.py``
loaded from ``git show``; its default chunk was 16), at the shapes the package runs: the C2F
network's blocks (d_inner 128, d_state 48) at batch 16 (training, the default batch), 4 and 1
(inference), and the label quantizers' one-channel encoders (d_inner 2, d_state 16; 48 for
the authors' form) at batch 16. All variants are timed in turn inside each repeat (so they
see the same machine load) and the best of ``--repeats`` is kept. Also reported: the largest
difference from the reference, and the memory autograd keeps for the backward pass (bytes
of the saved tensors), at the C2F shape at batch 16.

Run: ``python benchmarks/bench_mamba_scan.py [--repeats 7] [--threads 1] [--baseline REF]``.
Writes docs/benchmarks/mamba_scan.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _common import REPO, log, pyplot, save_figure, write_results

from lqrppg.nn import BiMambaBlock, auto_chunk_size, selective_scan, selective_scan_reference

SHAPES = {
    "C2F block, batch 16": (16, 160, 128, 48),
    "C2F block, batch 4": (4, 160, 128, 48),
    "C2F block, batch 1": (1, 160, 128, 48),
    "quantizer encoder, batch 16": (16, 160, 2, 16),
    "authors' quantizer encoder, batch 16": (16, 160, 2, 48),
}


def _inputs(gen, b=16, length=160, d=128, n=48):
    u = torch.randn(b, length, d, generator=gen)
    delta = torch.nn.functional.softplus(torch.randn(b, length, d, generator=gen) - 2)
    a = -torch.arange(1, n + 1, dtype=torch.float32).repeat(d, 1)
    bb = torch.randn(b, length, n, generator=gen)
    c = torch.randn(b, length, n, generator=gen)
    dd = torch.randn(d, generator=gen)
    return u, delta, a, bb, c, dd


def _baseline_scan(ref: str, tmp: Path):
    """``selective_scan`` of ``lqrppg/nn/_mamba.py`` at commit ``ref``, or None."""
    try:
        text = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{ref}:lqrppg/nn/_mamba.py"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = tmp / "baseline_mamba.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("baseline_mamba", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.selective_scan


def _forward(fn, ops):
    with torch.no_grad():
        fn(*ops)


def _forward_backward(fn, ops):
    u, delta, *rest = ops
    ur = u.clone().requires_grad_(True)
    dr = delta.clone().requires_grad_(True)
    fn(ur, dr, *rest).square().mean().backward()


def _saved_bytes(fn, ops) -> int:
    total = 0

    def pack(t):
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    u, delta, *rest = ops
    ur = u.clone().requires_grad_(True)
    dr = delta.clone().requires_grad_(True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = fn(ur, dr, *rest)
    y.square().mean().backward()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--baseline", default="faa281e", help="git ref of the old fast path")
    parser.add_argument("--chunks", type=int, nargs="+", default=[2, 4, 8, 16, 32])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        old = _baseline_scan(args.baseline, Path(tmp))
    variants = {"reference (step loop)": selective_scan_reference}
    if old is not None:
        variants[f"baseline {args.baseline} (chunk 16)"] = old
    variants["selective_scan (auto)"] = selective_scan
    for k in args.chunks:
        variants[f"selective_scan (chunk {k})"] = lambda *ops, k=k: selective_scan(
            *ops, chunk_size=k
        )

    rows, diffs = [], []
    for shape_name, shape in SHAPES.items():
        ops = _inputs(torch.Generator().manual_seed(0), *shape)
        with torch.no_grad():
            ref = selective_scan_reference(*ops)
            for name, fn in variants.items():
                diffs.append(
                    {
                        "shape": shape_name,
                        "scan": name,
                        "max |y - reference|": float((fn(*ops) - ref).abs().max()),
                    }
                )
        best = {(name, kind): np.inf for name in variants for kind in ("fwd", "fb")}
        for fn in variants.values():  # warm-up
            _forward(fn, ops)
            _forward_backward(fn, ops)
        for _ in range(args.repeats):
            for name, fn in variants.items():
                for kind, run in (("fwd", _forward), ("fb", _forward_backward)):
                    t0 = time.perf_counter()
                    run(fn, ops)
                    best[name, kind] = min(best[name, kind], time.perf_counter() - t0)
        ref_fwd, ref_fb = best[next(iter(variants)), "fwd"], best[next(iter(variants)), "fb"]
        for name in variants:
            rows.append(
                {
                    "shape": shape_name,
                    "scan": name,
                    "forward ms": 1e3 * best[name, "fwd"],
                    "forward vs reference": ref_fwd / best[name, "fwd"],
                    "fwd+bwd ms": 1e3 * best[name, "fb"],
                    "fwd+bwd vs reference": ref_fb / best[name, "fb"],
                }
            )
        b, L, d, n = shape
        log(f"{shape_name} {shape}: auto chunk {auto_chunk_size(b, L, d, n)} done")
    table = pd.DataFrame(rows).set_index(["shape", "scan"])
    agreement = pd.DataFrame(diffs).set_index(["shape", "scan"])

    ops = _inputs(torch.Generator().manual_seed(0), *SHAPES["C2F block, batch 16"])
    memory = pd.DataFrame(
        [
            {"scan": name, "saved MiB": _saved_bytes(fn, ops) / 2**20}
            for name, fn in variants.items()
        ]
    ).set_index("scan")

    block = BiMambaBlock(64, d_state=48)
    x = torch.randn(16, 160, 64, generator=torch.Generator().manual_seed(1))

    def block_step():
        block.zero_grad()
        block(x).square().mean().backward()

    block_step()
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        block_step()
        times.append(time.perf_counter() - t0)
    blk_best, blk_med = 1e3 * min(times), 1e3 * float(np.median(times))

    autos = ", ".join(f"{k}: {auto_chunk_size(*s)}" for k, s in SHAPES.items())
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 160):
        print(f"torch threads {args.threads}; auto chunk sizes: {autos}")
        print(table.to_string())
        print(memory.to_string())
    print(f"largest |y - reference| over all variants and shapes: {agreement.values.max():.2e}")
    print(f"BiMambaBlock(64, d_state=48) on (16, 160, 64), fwd+bwd: best {blk_best:.1f} ms")
    path = write_results(
        "mamba_scan",
        "Selective scan: fast path vs reference",
        [
            (
                "Setting",
                f"float32, CPU, torch threads {args.threads}, best of {args.repeats} repeats, "
                "variants interleaved within each repeat. Shapes (batch, L, d_inner, d_state): "
                + "; ".join(f"{k} {v}" for k, v in SHAPES.items())
                + f". `chunk_size='auto'` picks: {autos}. Forward under `torch.no_grad()` "
                "(inference); forward+backward with gradients for u and delta.",
            ),
            ("Timings", table),
            (
                "Memory kept by autograd for the backward pass, C2F block at batch 16",
                memory,
            ),
            ("Agreement with the reference (forward)", agreement),
            (
                "BiMambaBlock(64, d_state=48), (16, 160, 64), forward+backward",
                f"best {blk_best:.1f} ms, median {blk_med:.1f} ms",
            ),
            ("Figure", _figure(table)),
        ],
    )
    print(f"written: {path}")


def _figure(table: pd.DataFrame) -> str:
    """Speed-up over the step loop per shape: the default 'auto' chunks and the baseline."""
    plt = pyplot()
    shapes = list(dict.fromkeys(table.index.get_level_values(0)))
    scans = [s for s in dict.fromkeys(table.index.get_level_values(1)) if "reference" not in s]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharey=True)
    for ax, column in zip(axes, ("forward vs reference", "fwd+bwd vs reference"), strict=True):
        x = np.arange(len(shapes))
        width = 0.8 / len(scans)
        for k, scan in enumerate(scans):
            values = [table.loc[(shape, scan), column] for shape in shapes]
            ax.bar(x + k * width, values, width, label=scan)
        ax.axhline(1.0, color="k", lw=1, ls="--")
        ax.set_xticks(x + width * (len(scans) - 1) / 2)
        short = [s.replace(" block", "").replace("quantizer encoder", "quant.")
                 .replace(", batch ", "\nb") for s in shapes]  # fmt: skip
        ax.set_xticklabels(short, fontsize=7.5)
        ax.set_title(column.replace(" vs reference", ": speed-up over the step loop"))
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("times as fast as the step loop")
    axes[1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return save_figure(
        fig, "mamba_scan", "Selective scan variants: speed-up over the step-by-step reference"
    )


if __name__ == "__main__":
    main()
