"""Training speed of LQRPPGRegressor.fit and PhysNetRegressor.fit: this tree vs a baseline.

Each measurement is a fresh worker process that imports ``lqrppg`` either from this checkout
or from a baseline commit (``--baseline``, extracted with ``git archive`` into a temporary
directory), builds the same data (random uint8 clips; sinusoidal labels at 50-130 bpm, so
that the HR-aware augmentation resamples clips as it does on real labels), and runs
``fit`` with ``validation_fraction=0`` for ``--epochs`` epochs on ``--clips`` clips
(stage 1 with one quantizer epoch, not timed). The time of an epoch (``history_[i]['time_s']``:
its training steps, with augmentation, pseudo labels, forward, backward and AdamW) is
divided into the clips it trained on: clips/s. The first epoch (warm-up) is dropped; the
best of the remaining epochs over all repeats is reported. Workers for the baseline and
for this tree alternate (baseline, this tree, baseline, ...), so both see the same machine
load; speed-ups are ratios within one run.

``--check`` instead runs a short seeded fit (8 synthetic videos of ``make_synthetic_rppg``
at ``--check-size``, 'moderate' label noise, 2 of them for validation, ``--epochs``
epochs) in both trees and reports the largest difference of the learned parameters, the
codebooks, the training losses and the predictions; the same fit of the baseline on one
more torch thread is the round-off-only control (same code, other reduction order).

Run: ``python benchmarks/bench_training_step.py --baseline faa281e [--sizes 32 128]
[--repeats 2] [--epochs 3] [--clips 32] [--threads 1] [--check]``. Writes
docs/benchmarks/training_step.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _common import REPO, log, write_results

HERE = Path(__file__).resolve()


# ------------------------------------------------------------------------------ worker


def _labels(n: int, T: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(T) / fs
    bpm = rng.uniform(50, 130, n)
    phase = rng.uniform(0, 2 * np.pi, n)
    y = np.sin(2 * np.pi * bpm[:, None] / 60 * t + phase[:, None])
    return y + 0.1 * rng.standard_normal((n, T))


def _estimator(kind: str, args, seed: int):
    from lqrppg.models import LQRPPGRegressor, PhysNetRegressor

    common = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "validation_fraction": 0.0,
        "early_stopping": False,
        "num_threads": args.threads,
        "device": "cpu",
        "random_state": seed,
        "verbose": 0,
    }
    if kind == "PhysNet":
        return PhysNetRegressor(chunk_length=args.length, **common)
    return LQRPPGRegressor(
        chunk_length=args.length,
        dim=args.dim,
        quantizer_epochs=1,
        use_label_quantization=kind == "LQRPPG",
        **common,
    )


def worker(args) -> None:
    import lqrppg

    src = Path(lqrppg.__file__).resolve().parents[1]
    if src != Path(args.src).resolve():
        raise SystemExit(f"worker imported lqrppg from {src}, not from {args.src}")
    if args.check:
        _check_worker(args)
        return
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (args.clips, args.length, args.size, args.size, 3), dtype=np.uint8)
    y = _labels(args.clips, args.length, 30.0, rng)
    est = _estimator(args.kind, args, 0).fit(X, y)
    times = [h["time_s"] for h in est.history_[1:]]
    print(json.dumps({"epoch_s": times, "clips": args.clips}))


def _check_worker(args) -> None:
    import torch

    from lqrppg.datasets import make_synthetic_rppg

    data = make_synthetic_rppg(
        n_subjects=8,
        duration=args.length / 30.0,
        frame_size=(args.size, args.size),
        label_noise="moderate",
        random_state=1,
    )
    est = _estimator(args.kind, args, 0)
    est.set_params(validation_fraction=0.25)
    grads = _one_step_gradients(est, data)
    est.fit(data.videos, data.ppg, groups=data.subjects)
    pred = est.predict(data.videos)
    out = {f"param/{k}": v.detach().double().numpy() for k, v in est.module_.state_dict().items()}
    out["prediction"] = pred
    out["train_loss"] = np.array([h["train_loss"] for h in est.history_])
    if getattr(est, "codebooks_", None) is not None:
        for i, c in enumerate(est.codebooks_):
            out[f"codebook/{i}"] = np.asarray(c)
    out.update(grads)
    np.savez(args.out, **out)
    print(json.dumps({"saved": args.out, "torch": torch.__version__}))


def _one_step_gradients(est, data) -> dict:
    """Loss and gradients of the freshly built network on the first 8 clips (no augmentation).

    Both trees build the network from the same seed, so this compares one training step's
    arithmetic on identical weights and data.
    """
    import torch

    from lqrppg.models import clips_to_tensor
    from lqrppg.signal import standardize

    p = est._check_params()
    T, H, W = data.videos.shape[1:4]
    y = standardize(data.ppg).astype(np.float32)
    est._fit_label_model(p, data.ppg.astype(np.float64), T, 0)
    targets = torch.from_numpy(est._targets(data.ppg.astype(np.float64)))
    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = est._build_module(p, T, H, W).train()
    init = {f"init/{k}": v.detach().double().numpy() for k, v in module.state_dict().items()}
    exact = copy.deepcopy(module).double()
    x = clips_to_tensor(torch.from_numpy(data.videos[:8]), p["preprocessing"])
    loss = est._loss(p, module, x, targets[:8])[0]
    loss.backward()
    out = {f"grad/{k}": v.grad.double().numpy() for k, v in module.named_parameters()}
    out["step_loss"] = np.array([float(loss.detach())])
    # the same step in float64: the exact gradient up to 1e-15, whatever the formulation
    est._loss(p, exact, x.double(), targets[:8].double())[0].backward()
    g32 = np.concatenate([out[f"grad/{k}"].ravel() for k, _ in exact.named_parameters()])
    g64 = np.concatenate([v.grad.numpy().ravel() for _, v in exact.named_parameters()])
    out["grad_error_vs_float64"] = np.array([np.linalg.norm(g32 - g64) / np.linalg.norm(g64)])
    del y
    return {**init, **out}


# ------------------------------------------------------------------------------ driver


def _extract(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "lqrppg"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _run_worker(src: Path, extra: list[str], threads: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src), OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, str(HERE), "--worker", "--src", str(src), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(src))
    if done.returncode != 0:
        raise RuntimeError(f"worker failed ({' '.join(cmd)}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _common_args(args, kind: str, size: int) -> list[str]:
    return [
        "--kind", kind, "--size", str(size), "--length", str(args.length), "--dim",
        str(args.dim), "--batch-size", str(args.batch_size), "--epochs", str(args.epochs),
        "--clips", str(args.clips), "--threads", str(args.threads),
    ]  # fmt: skip


def speed(args, trees: dict[str, Path]) -> pd.DataFrame:
    rows = []
    for size in args.sizes:
        for kind in args.kinds:
            best = {name: np.inf for name in trees}
            for rep in range(args.repeats):
                for name, src in trees.items():
                    res = _run_worker(src, _common_args(args, kind, size), args.threads)
                    per_clip = min(res["epoch_s"]) / res["clips"]
                    best[name] = min(best[name], per_clip)
                    log(
                        f"{kind} {size}x{size} repeat {rep + 1}: {name}: epochs "
                        f"{[round(t, 1) for t in res['epoch_s']]} s -> "
                        f"{1 / per_clip:.2f} clips/s"
                    )
            old, new = best["baseline"], best["this tree"]
            rows.append(
                {
                    "network": kind,
                    "frames": f"{size} x {size}",
                    "baseline clips/s": 1 / old,
                    "this tree clips/s": 1 / new,
                    "speed-up": old / new,
                    "baseline s/step": old * args.batch_size,
                    "this tree s/step": new * args.batch_size,
                }
            )
    return pd.DataFrame(rows).set_index(["network", "frames"])


def _diffs(a: dict, b: dict) -> dict:
    params = [k for k in a if k.startswith("param/")]
    worst = max(params, key=lambda k: float(np.max(np.abs(a[k] - b[k]), initial=0.0)))
    books = [k for k in a if k.startswith("codebook/")]
    grads = [k for k in a if k.startswith("grad/")]
    init = max(float(np.max(np.abs(a[k] - b[k]))) for k in a if k.startswith("init/"))

    def rel(k):
        return float(np.max(np.abs(a[k] - b[k])) / max(np.max(np.abs(b[k])), 1e-30))

    big = [
        k for k in grads if np.max(np.abs(b[k])) > 1e-4 * max(np.max(np.abs(b[g])) for g in grads)
    ]
    return {
        "initial weights equal": init == 0.0,
        "1 step: gradient error vs float64 (first, second)": (
            f"{a['grad_error_vs_float64'][0]:.1e}, {b['grad_error_vs_float64'][0]:.1e}"
        ),
        "1 step: |Δ loss|": float(abs(a["step_loss"][0] - b["step_loss"][0])),
        "1 step: max rel. Δ gradient": max(rel(k) for k in big),
        "max |Δ parameter|": float(np.max(np.abs(a[worst] - b[worst]))),
        "where": worst.removeprefix("param/"),
        "max |Δ prediction|": float(np.max(np.abs(a["prediction"] - b["prediction"]))),
        "max |Δ train loss|": float(np.max(np.abs(a["train_loss"] - b["train_loss"]))),
        "max |Δ codeword|": (
            max(float(np.max(np.abs(a[k] - b[k]))) for k in books) if books else np.nan
        ),
    }


def check(args, trees: dict[str, Path], tmp: Path) -> pd.DataFrame:
    """Seeded fits: this tree vs the baseline, and the baseline vs itself on 2 threads.

    The second pair differs only in the order of floating-point reductions (torch splits
    them across threads): it shows how far float round-off alone carries after the same
    number of training steps, the scale against which the first pair is to be read.
    """
    rows = []
    for kind in args.kinds:
        runs = {}
        plan = [("baseline", trees["baseline"], args.threads),
                ("this tree", trees["this tree"], args.threads),
                ("baseline, 2 threads", trees["baseline"], args.threads + 1)]  # fmt: skip
        for name, src, threads in plan:
            out = tmp / f"{kind}-{len(runs)}.npz"
            extra = [*_common_args(args, kind, args.check_size), "--check", "--out", str(out)]
            extra[extra.index("--threads") + 1] = str(threads)
            _run_worker(src, extra, threads)
            runs[name] = dict(np.load(out))
        scale = max(float(np.max(np.abs(v))) for k, v in runs["baseline"].items()
                    if k.startswith("param/"))  # fmt: skip
        for label, (x, y) in {
            "this tree vs baseline": ("this tree", "baseline"),
            "baseline 2 threads vs 1 (round-off only)": ("baseline, 2 threads", "baseline"),
        }.items():
            row = {"network": kind, "pair": label, **_diffs(runs[x], runs[y])}
            row["max |parameter|"] = scale
            rows.append(row)
            log(f"check {kind} {label}: {row}")
    return pd.DataFrame(rows).set_index(["network", "pair"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="faa281e", help="git ref of the old code")
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--kinds", nargs="+", default=["LQRPPG"],
                        choices=["LQRPPG", "ablation", "PhysNet"])  # fmt: skip
    parser.add_argument("--length", type=int, default=160)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=3, help="per worker; the first dropped")
    parser.add_argument("--clips", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="compare a short seeded fit")
    parser.add_argument("--check-size", type=int, default=32)
    # worker-only options
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--src", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="LQRPPG", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=32, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = _extract(args.baseline, tmp)
        trees = {"baseline": base, "this tree": REPO}
        sections = [
            (
                "Setting",
                f"baseline: commit {args.baseline} (`git archive`), this tree: the checkout "
                f"below; {args.threads} torch thread(s); T = {args.length}, dim {args.dim}, "
                f"batch {args.batch_size}, {args.clips} clips per worker, {args.epochs} epochs "
                f"per worker (the first dropped), {args.repeats} repeats per tree, alternating.",
            )
        ]
        if args.check:
            table = check(args, trees, tmp)
            sections.append((f"Short seeded fit at {args.check_size} x {args.check_size}", table))
            name = "training_step_check"
        else:
            table = speed(args, trees)
            sections.append(("Training clips/s (best epoch of all repeats)", table))
            name = "training_step"
    with pd.option_context("display.width", 160, "display.float_format", "{:.3g}".format):
        print(table.to_string())
    path = write_results(name, "Training step speed: this tree vs a baseline", sections)
    print(f"written: {path}")


if __name__ == "__main__":
    main()
