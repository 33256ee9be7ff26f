"""Data-parallel training on CPU: `lqrppg train` in one process vs two (`torchrun`, gloo).

A UBFC-rPPG-layout fixture (synthetic subjects of ``make_synthetic_rppg``, FFV1 videos,
'mild' label noise) is preprocessed once into a clip cache (``--cache-dir``, untimed), so
the timed runs measure reading the cache, stage 1 and the epochs, not the face crop. Then,
for each frame size, three ways of training the same estimator with the same seed and the
same global batch run in turn, ``--repeats`` times, interleaved (so all see the same
machine load). No subjects are held out (``--validation-fraction 0``): every run keeps the
weights of its last epoch, so the runs compared have taken the same training steps (with a
validation split, each keeps its best epoch, and a near-tie of two epochs' validation
losses can make two runs keep different epochs):

- one process, one torch thread (the reference);
- one process, two torch threads (the other way to use a second core);
- two processes under ``torchrun --standalone --nproc_per_node 2`` (gloo backend), one
  thread each: each process takes its half of every global batch, and the gradients are
  averaged by one all-reduce per step.

Per run: wall time of the whole command (start-up, cache, stage 1, epochs, saving) and the
summed epoch times the saved model records (``history_[i]['time_s']``); the best of the
repeats is reported. The saved models are then compared with the reference: the largest
difference of any learned parameter and of the predictions on clips of held-out synthetic
subjects. One process on two threads differs from one thread only in the order of float
reductions: that pair is the round-off-only scale against which the two-process difference
is to be read.

Run: ``python benchmarks/bench_distributed.py [--sizes 64 128] [--repeats 2] [--epochs 3]
[--subjects 6] [--batch-size 6] [--dim 32] [--load TEXT]``. Writes
docs/benchmarks/distributed.md and its figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import FIGURE_WIDTH, load_average, log, pyplot, save_figure, write_results
from bench_preprocess import write_ubfc_fixture

#: The ways of training compared: (name, processes, torch threads per process).
CONFIGS = [
    ("1 process, 1 thread", 1, 1),
    ("1 process, 2 threads", 1, 2),
    ("2 processes (gloo), 1 thread each", 2, 1),
]
REFERENCE = CONFIGS[0][0]
#: The machine's 1-minute load average at the start of every timed run.
LOADS: list[float] = []


def _train_args(args, root: Path, cache: Path, size: int, threads: int, out: Path) -> list[str]:
    return [
        "train", "--dataset", "ubfc-rppg", "--path", str(root), "--cache-dir", str(cache),
        "--size", str(size), "--chunk-length", str(args.chunk_length), "--no-face",
        "--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
        "--dim", str(args.dim), "--quantizer-epochs", str(args.quantizer_epochs),
        "--validation-fraction", "0", "--threads", str(threads), "--seed", "0", "--quiet",
        "--overwrite", "--out", str(out),
    ]  # fmt: skip


def _command(processes: int) -> list[str]:
    if processes == 1:
        return [sys.executable, "-m", "lqrppg"]
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    if torchrun is None:
        raise SystemExit("torchrun not found beside this Python (it comes with torch)")
    return [torchrun, "--standalone", "--nproc_per_node", str(processes), "-m", "lqrppg"]


def _run(cmd: list[str], threads: int, cwd: Path) -> float:
    # torchrun sets the ranks itself; a caller's own process-group variables must not leak in
    group = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
    env = {k: v for k, v in os.environ.items() if k not in group}
    env["OMP_NUM_THREADS"] = str(threads)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(cwd))
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"failed ({' '.join(cmd)}):\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return wall


def _test_clips(args, size: int) -> np.ndarray:
    """Clips of two synthetic subjects none of the fits saw."""
    from lqrppg.datasets import make_synthetic_rppg
    from lqrppg.video import cut_clips

    data = make_synthetic_rppg(n_subjects=2, duration=args.duration, frame_size=(size, size),
                               random_state=1000)  # fmt: skip
    return np.concatenate([cut_clips(v, args.chunk_length).clips for v in data.videos])


def measure(args, tmp: Path) -> pd.DataFrame:
    from lqrppg import LQRPPGRegressor
    from lqrppg.datasets import make_synthetic_rppg

    rows = []
    for size in args.sizes:
        root = tmp / f"ubfc{size}"
        data = make_synthetic_rppg(
            n_subjects=args.subjects, duration=args.duration, frame_size=(size, size),
            label_noise="mild", random_state=0,
        )  # fmt: skip
        write_ubfc_fixture(root, data)
        cache = tmp / f"cache{size}"
        warm = _train_args(args, root, cache, size, 1, tmp / "warm.pt")
        warm[warm.index("--epochs") + 1] = "1"
        _run([*_command(1), *warm], 1, tmp)  # fills the clip cache; not timed
        best: dict[str, dict[str, float]] = {}
        for rep in range(args.repeats):
            for name, processes, threads in CONFIGS:
                out = tmp / f"{size}-{processes}-{threads}.pt"
                cmd = [*_command(processes),
                       *_train_args(args, root, cache, size, threads, out)]  # fmt: skip
                LOADS.append(load_average())
                wall = _run(cmd, threads, tmp)
                history = LQRPPGRegressor.load(out).history_
                epochs = sum(h["time_s"] for h in history)
                b = best.setdefault(name, {"wall": np.inf, "epochs": np.inf})
                b["wall"], b["epochs"] = min(b["wall"], wall), min(b["epochs"], epochs)
                log(f"{size}x{size} repeat {rep + 1}: {name}: {wall:.1f} s wall, "
                    f"{epochs:.1f} s in {len(history)} epochs")  # fmt: skip
        clips = _test_clips(args, size)
        models = {name: LQRPPGRegressor.load(tmp / f"{size}-{p}-{t}.pt") for name, p, t in CONFIGS}
        ref = models[REFERENCE]
        ref_state, ref_pred = ref.module_.state_dict(), ref.predict(clips)
        for name, _, _ in CONFIGS:
            model = models[name]
            state = model.module_.state_dict()
            dparam = max(float((state[k] - v).abs().max()) for k, v in ref_state.items()
                         if v.is_floating_point())  # fmt: skip
            rows.append({
                "frames": f"{size} x {size}",
                "training": name,
                "wall s": best[name]["wall"],
                "epochs s": best[name]["epochs"],
                "speed-up of the epochs": best[REFERENCE]["epochs"] / best[name]["epochs"],
                "speed-up, wall": best[REFERENCE]["wall"] / best[name]["wall"],
                f"max |Δ parameter| vs {REFERENCE}": dparam,
                "max |Δ prediction|": float(np.abs(model.predict(clips) - ref_pred).max()),
                "epochs run": len(model.history_),
            })  # fmt: skip
    table = pd.DataFrame(rows).set_index(["frames", "training"])
    table.attrs["floatfmt"] = ("", ".1f", ".1f", ".2f", ".2f", ".1e", ".1e", ".0f")
    return table


def _reading(table: pd.DataFrame) -> str:
    lines = []
    for frames, part in table.groupby(level="frames", sort=False):
        part = part.droplevel("frames")
        two, threads = part.loc[CONFIGS[2][0]], part.loc[CONFIGS[1][0]]
        lines.append(
            f"- {frames}: two processes train the epochs {two['speed-up of the epochs']:.2f}x "
            f"as fast as one process on one thread (one process on two threads: "
            f"{threads['speed-up of the epochs']:.2f}x); whole command "
            f"{two['speed-up, wall']:.2f}x ({threads['speed-up, wall']:.2f}x). Learned "
            f"parameters within {two[f'max |Δ parameter| vs {REFERENCE}']:.1e} of one "
            f"process (two threads, round-off only: "
            f"{threads[f'max |Δ parameter| vs {REFERENCE}']:.1e}); predictions within "
            f"{two['max |Δ prediction|']:.1e} ({threads['max |Δ prediction|']:.1e})."
        )
    return "\n".join(lines)


def _figure(table: pd.DataFrame) -> str:
    plt = pyplot()
    sizes = list(dict.fromkeys(table.index.get_level_values("frames")))
    fig, axes = plt.subplots(1, len(sizes), figsize=(FIGURE_WIDTH, 3.6), squeeze=False)
    for ax, frames in zip(axes[0], sizes, strict=True):
        part = table.loc[frames]
        x = np.arange(len(part))
        for k, (column, label) in enumerate((("epochs s", "epochs"), ("wall s", "whole command"))):
            bars = ax.bar(x + (k - 0.5) * 0.38, part[column], 0.38, label=label, color=f"C{k}")
            ax.bar_label(bars, fmt="%.0f", padding=2, fontsize=8)
        ax.set_xticks(x)
        ax.set_xticklabels([n.replace(", ", ",\n", 1) for n in part.index], fontsize=8)
        ax.set_ylim(0, 1.15 * float(part["wall s"].max()))
        ax.set_title(f"{frames}")
        ax.set_ylabel("seconds (best of repeats)")
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, ncol=2, fontsize=8, loc="lower center")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return save_figure(
        fig, "distributed", "Training time: one process vs two (gloo), same global batch"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--subjects", type=int, default=6)
    parser.add_argument("--duration", type=float, default=16.0, help="seconds per subject")
    parser.add_argument("--chunk-length", type=int, default=160)
    parser.add_argument("--batch-size", type=int, default=6, help="global batch")
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--quantizer-epochs", type=int, default=2)
    parser.add_argument("--load", default="", help="the machine's other load, for the page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        table = measure(args, Path(tmp))
    n_clips = args.subjects * int(args.duration * 30 // args.chunk_length)
    setting = (
        f"{args.subjects} synthetic subjects of {args.duration:g} s ({n_clips} clips of "
        f"{args.chunk_length} frames, all of them for training), LQ-rPPG dim {args.dim}, "
        f"{args.quantizer_epochs} quantizer epochs per level, {args.epochs} epochs, global "
        f"batch {args.batch_size}, seed 0, CPU, "
        f"{args.repeats} repeats interleaved; best of the repeats. {os.cpu_count()} logical "
        "cores: two processes on one thread each use both."
    )
    if args.load:
        setting += f" Load on the machine during the run: {args.load}."
    setting += (
        f" The machine's 1-minute load average when the timed runs started: {min(LOADS):.1f} "
        f"to {max(LOADS):.1f} (median {np.median(LOADS):.1f}); on a loaded machine a second "
        "thread or process competes with the other work for the second core."
    )
    sections = [
        ("Setting", setting),
        ("Reading", _reading(table)),
        ("Time and agreement with one process", table),
        ("Figure", _figure(table)),
    ]
    with pd.option_context("display.width", 200):
        print(table.to_string())
    path = write_results(
        "distributed", "Data-parallel training on CPU: one process vs two", sections
    )
    print(f"written: {path}")


if __name__ == "__main__":
    main()
