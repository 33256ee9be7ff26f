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
codebooks, the training losses and the predictions; the same fit of each tree on one more
torch thread is the round-off-only control (same code, other reduction order). Before the
fit, one training step's float32 gradient is compared with the same step in float64, per
parameter group, as computed and with float64's max-pool winners (see
``_one_step_gradients``), on the fit's seed and on ``--check-seeds`` more seeds of the data
and the initial weights.

Run: ``python benchmarks/bench_training_step.py --baseline faa281e [--sizes 32 128]
[--repeats 2 [1]] [--epochs 3 [2]] [--clips 32 [16]] [--threads 1] [--load TEXT]
[--profile] [--page NAME] [--check [--check-seeds 6]]`` (``--repeats``, ``--epochs`` and
``--clips`` take one value, or one per size). ``--profile`` adds, per size, where one
training step's time goes in this tree (``torch.profiler``'s self CPU time per operator,
grouped). Every worker also reports its peak RSS. Writes docs/benchmarks/training_step.md
(``--page NAME``: NAME.md; ``--check``: training_step_check.md) and its figure.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _common import FIGURE_WIDTH, REPO, load_average, log, pyplot, save_figure, write_results

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
    if args.profile:
        _profile_worker(args)
        return
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (args.clips, args.length, args.size, args.size, 3), dtype=np.uint8)
    y = _labels(args.clips, args.length, 30.0, rng)
    est = _estimator(args.kind, args, 0).fit(X, y)
    times = [h["time_s"] for h in est.history_[1:]]
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB -> GB
    print(json.dumps({"epoch_s": times, "clips": args.clips, "peak_rss_gb": peak}))


def _profile_worker(args) -> None:
    """Self CPU time per torch operator of one training epoch of ``--batch-size`` clips.

    A first fit (stage 1 and one warm-up epoch, not profiled) builds the network; a
    warm-started second fit of one epoch, that is one training step (augmentation, pseudo
    labels, forward, backward, AdamW) plus the fit's checks, runs under
    :mod:`torch.profiler`.
    """
    from torch.profiler import ProfilerActivity, profile

    rng = np.random.default_rng(0)
    n = args.batch_size
    X = rng.integers(0, 256, (n, args.length, args.size, args.size, 3), dtype=np.uint8)
    y = _labels(n, args.length, 30.0, rng)
    est = _estimator(args.kind, args, 0).set_params(epochs=1).fit(X, y)
    est.set_params(warm_start=True)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        est.fit(X, y)
    ops = []
    for e in prof.key_averages(group_by_input_shape=True):
        shapes = [s for s in e.input_shapes if s][:2]
        ops.append({"op": e.key, "shapes": str(shapes), "self_ms": e.self_cpu_time_total / 1e3,
                    "calls": e.count})  # fmt: skip
    print(json.dumps({"ops": ops, "epoch_s": est.history_[-1]["time_s"]}))


#: Operator groups of the profile table: (group, operator names).
OP_GROUPS = [
    ("convolutions, forward", ("aten::mkldnn_convolution", "aten::_convolution")),
    ("convolutions, backward", ("aten::convolution_backward",)),
    ("max-pool", ("aten::max_pool2d_with_indices", "aten::max_pool2d_with_indices_backward")),
    ("BatchNorm", ("aten::native_batch_norm", "aten::native_batch_norm_backward")),
    ("copies, concatenation, indexing", ("aten::cat", "aten::copy_", "aten::index_select",
                                         "aten::_to_copy", "aten::clone", "aten::fill_")),
]  # fmt: skip


def profile_steps(args) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where a training step's time goes in this tree: operator groups, and the top operators."""
    groups, top = [], []
    for size in args.sizes:
        extra = [*_common_args(args, args.kinds[0], size), "--profile"]
        res = _run_worker(REPO, extra, args.threads)
        ops = pd.DataFrame(res["ops"])
        total = ops["self_ms"].sum()
        frames = f"{size} x {size}"
        log(f"profile {frames}: {total / 1e3:.1f} s of operator time, epoch {res['epoch_s']:.1f} s")
        named = {name for _, names in OP_GROUPS for name in names}
        shares = {g: ops.loc[ops["op"].isin(names), "self_ms"].sum() for g, names in OP_GROUPS}
        shares["everything else (elementwise, scans, optimizer, ...)"] = ops.loc[
            ~ops["op"].isin(named), "self_ms"
        ].sum()
        for group, ms in shares.items():
            groups.append({"frames": frames, "group": group, "s": ms / 1e3,
                           "share": f"{100 * ms / total:.1f} %"})  # fmt: skip
        groups.append({"frames": frames, "group": "all operators (one step)", "s": total / 1e3,
                       "share": "100 %"})  # fmt: skip
        for _, row in ops.nlargest(8, "self_ms").iterrows():
            top.append({"frames": frames, "operator": row["op"], "first input shapes":
                        row["shapes"], "calls": int(row["calls"]), "s": row["self_ms"] / 1e3,
                        "share": f"{100 * row['self_ms'] / total:.1f} %"})  # fmt: skip
    groups = pd.DataFrame(groups).set_index(["frames", "group"])
    return groups, pd.DataFrame(top).set_index(["frames", "operator"])


def _profile_reading(groups: pd.DataFrame) -> str:
    """The convolutions' share of a step, per size, in numbers taken from this run."""
    lines = []
    for frames, part in groups.groupby(level="frames", sort=False):
        s = part["s"].droplevel("frames")
        conv = s["convolutions, forward"] + s["convolutions, backward"]
        total = s["all operators (one step)"]
        lines.append(
            f"- {frames}: {total:.1f} s of operator time in the step; convolutions "
            f"(forward and backward) {conv:.1f} s ({100 * conv / total:.0f} %), max-pool "
            f"{100 * s['max-pool'] / total:.0f} %, BatchNorm {100 * s['BatchNorm'] / total:.0f} %."
        )
    return "\n".join(lines)


def _check_worker(args) -> None:
    import torch

    from lqrppg.datasets import make_synthetic_rppg

    data = make_synthetic_rppg(
        n_subjects=8,
        duration=args.length / 30.0,
        frame_size=(args.size, args.size),
        label_noise="moderate",
        random_state=1 if args.step_seed is None else args.step_seed,
    )
    est = _estimator(args.kind, args, 0)
    est.set_params(validation_fraction=0.25)
    if args.step_seed is not None:  # one step only, data and initial weights of this seed
        grads = _one_step_gradients(est, data, args.step_seed)
        np.savez(args.out, **{k: v for k, v in grads.items() if not k.startswith("init/")})
        print(json.dumps({"saved": args.out}))
        return
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


def _one_step_gradients(est, data, init_seed: int = 0) -> dict:
    """Loss and gradients of the freshly built network on the first 8 clips (no augmentation).

    Both trees build the network from the same seed (``init_seed``), so this compares one
    training step's arithmetic on identical weights and data. The float32 gradient is
    compared with the same step in float64 twice: as computed, and with every max-pool
    window won by the element that won it in float64 (:func:`_max_pool_winners`). A window
    whose two largest values lie within float32 rounding of each other may be won by
    either; the gradient then goes to a different element, a difference of the gradient
    that no accuracy of the arithmetic can remove (the max is continuous there, its
    gradient is not). The second comparison
    is the arithmetic's error alone.
    """
    import torch

    from lqrppg.models import clips_to_tensor

    checked = est._check_params()
    p = (checked,) if isinstance(checked, dict) else ()  # older trees' hooks take a dict first
    T, H, W = data.videos.shape[1:4]
    est._fit_label_model(*p, data.ppg.astype(np.float64), T, 0)
    targets = torch.from_numpy(est._targets(data.ppg.astype(np.float64)))
    with torch.random.fork_rng():
        torch.manual_seed(init_seed)
        module = est._build_module(*p, T, H, W).train()
    init = {f"init/{k}": v.detach().double().numpy() for k, v in module.state_dict().items()}
    exact, routed = copy.deepcopy(module).double(), copy.deepcopy(module)
    x = clips_to_tensor(torch.from_numpy(data.videos[:8]), est.preprocessing)
    # the same step in float64: the exact gradient up to 1e-15, whatever the formulation
    pools = {"winners": [], "k": 0, "moved": 0}
    with _max_pool_winners("record", pools):
        est._loss(*p, exact, x.double(), targets[:8].double())[0].backward()
    with _max_pool_winners("count", pools):
        loss = est._loss(*p, module, x, targets[:8])[0]
        loss.backward()
    moved, pools["k"] = pools["moved"], 0
    with _max_pool_winners("apply", pools):
        est._loss(*p, routed, x, targets[:8])[0].backward()
    out = {f"grad/{k}": v.grad.double().numpy() for k, v in module.named_parameters()}
    out["step_loss"] = np.array([float(loss.detach())])
    out["pool_windows_moved"] = np.array([moved])
    names = [k for k, _ in exact.named_parameters()]
    g64 = {k: v.grad.numpy().ravel() for k, v in exact.named_parameters()}
    g32 = {k: out[f"grad/{k}"].ravel() for k in names}
    g32r = {k: v.grad.double().numpy().ravel() for k, v in routed.named_parameters()}
    groups = {"all": names}
    for k in names:
        groups.setdefault(_group(k), []).append(k)
    for group, keys in groups.items():
        ref = np.concatenate([g64[k] for k in keys])
        errors = [
            np.linalg.norm(np.concatenate([g[k] for k in keys]) - ref) / np.linalg.norm(ref)
            for g in (g32, g32r)
        ]
        out[f"grad_error/{group}"] = np.array(errors)
    return {**init, **out}


#: Parameter groups of the gradient comparison: (group, name prefixes or last name parts).
GROUPS = [
    ("stem conv", ("branch_frame.0.", "branch_diff.0.")),
    ("stem BN", ("branch_frame.", "branch_diff.")),
    ("stem paths", ("path_fused.", "path_diff.")),
    ("3-D conv, mask", ("conv3d.", "bn3d.", "mask_conv.")),
    ("scan A", ("A_log",)),
    ("scan D", ("D",)),
    ("scan dt", ("dt_proj",)),
    ("Mamba proj., norms", ("blocks.",)),
    ("heads", ("heads.", "projections.", "predictor.")),
    ("pos. embedding", ("pos_embedding",)),
]


def _group(name: str) -> str:
    """The group of :data:`GROUPS` a parameter of the network belongs to (``'other'``)."""
    parts = name.split(".")
    for group, keys in GROUPS:
        if any(name.startswith(k) if k.endswith(".") else k in parts for k in keys):
            return group
    return "other"


@contextlib.contextmanager
def _max_pool_winners(mode: str, store: dict):
    """Max-pool layers that remember which element won every window, or use those winners.

    ``'record'`` appends each layer's winners (in call order) to ``store['winners']``;
    ``'count'`` adds to ``store['moved']`` the windows won by another element than the
    recorded one; ``'apply'`` counts too and takes each window's value from the recorded
    element, so that the gradient goes where it went in the recorded pass.
    """
    import torch.nn.functional as F
    from torch import nn

    pools = {nn.MaxPool2d: F.max_pool2d, nn.MaxPool3d: F.max_pool3d}
    saved = {cls: cls.forward for cls in pools}

    def patched(pool):
        def forward(self, x):
            out, won = pool(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=True)  # fmt: skip
            if mode == "record":
                store["winners"].append(won)
                return out
            ref = store["winners"][store["k"]]
            store["k"] += 1
            moved = ref != won
            store["moved"] += int(moved.sum())
            if mode == "apply" and bool(moved.any()):
                out = x.flatten(2).gather(2, ref.flatten(2)).view_as(out)
            return out

        return forward

    try:
        for cls, pool in pools.items():
            cls.forward = patched(pool)
        yield
    finally:
        for cls, forward in saved.items():
            cls.forward = forward


# ------------------------------------------------------------------------------ driver


def _extract(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "lqrppg"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


#: The 1-minute load average of the machine when each worker started (for the page).
LOADS: list[float] = []


def _run_worker(src: Path, extra: list[str], threads: int) -> dict:
    LOADS.append(load_average())
    env = dict(os.environ, PYTHONPATH=str(src), OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, str(HERE), "--worker", "--src", str(src), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(src))
    if done.returncode != 0:
        raise RuntimeError(f"worker failed ({' '.join(cmd)}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _per_size(values: list, i: int):
    """The value of a per-size option for the ``i``-th size (one value: all sizes)."""
    return values[0] if len(values) == 1 else values[i]


def _common_args(args, kind: str, size: int, i: int = 0) -> list[str]:
    return [
        "--kind", kind, "--size", str(size), "--length", str(args.length), "--dim",
        str(args.dim), "--batch-size", str(args.batch_size),
        "--epochs", str(_per_size(args.epochs, i)), "--clips", str(_per_size(args.clips, i)),
        "--threads", str(args.threads),
    ]  # fmt: skip


def speed(args, trees: dict[str, Path]) -> pd.DataFrame:
    rows = []
    for i, size in enumerate(args.sizes):
        for kind in args.kinds:
            best = {name: np.inf for name in trees}
            rss = {name: 0.0 for name in trees}
            for rep in range(_per_size(args.repeats, i)):
                for name, src in trees.items():
                    res = _run_worker(src, _common_args(args, kind, size, i), args.threads)
                    per_clip = min(res["epoch_s"]) / res["clips"]
                    best[name] = min(best[name], per_clip)
                    rss[name] = max(rss[name], res.get("peak_rss_gb", np.nan))
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
                    "clips, epochs, repeats per worker": (
                        f"{_per_size(args.clips, i)}, {_per_size(args.epochs, i)}, "
                        f"{_per_size(args.repeats, i)}"
                    ),
                    "baseline clips/s": 1 / old,
                    "this tree clips/s": 1 / new,
                    "speed-up": old / new,
                    "baseline s/step": old * args.batch_size,
                    "this tree s/step": new * args.batch_size,
                    "baseline peak RSS GB": rss["baseline"],
                    "this tree peak RSS GB": rss["this tree"],
                }
            )
    return pd.DataFrame(rows).set_index(["network", "frames"])


def _speed_figure(table: pd.DataFrame, name: str) -> str:
    """Clips/s of both trees, one panel per network and frame size, the speed-up on top."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(table), figsize=(FIGURE_WIDTH, 3.4), squeeze=False)
    for ax, ((kind, frames), row) in zip(axes[0], table.iterrows(), strict=True):
        values = [row["baseline clips/s"], row["this tree clips/s"]]
        bars = ax.bar(["baseline", "this tree"], values, color=["C0", "C1"], width=0.6)
        ax.bar_label(bars, fmt="%.2f", padding=2)
        ax.set_ylim(0, 1.2 * max(values))
        ax.set_title(f"{kind}, {frames}: {row['speed-up']:.2f}x")
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].set_ylabel("training clips/s (best epoch)")
    fig.tight_layout()
    return save_figure(fig, name, "Training clips/s, baseline vs this tree (one run, interleaved)")


def _diffs(a: dict, b: dict) -> dict:
    """How far the run ``a`` is from the run ``b``: one step, then the whole fit."""
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
    err_a, err_b = a["grad_error/all"], b["grad_error/all"]
    return {
        "initial weights equal": str(init == 0.0),
        "1 step: gradient error vs float64 (first, second)": f"{err_a[0]:.1e}, {err_b[0]:.1e}",
        "1 step: the same, max-pool winners of float64": f"{err_a[1]:.1e}, {err_b[1]:.1e}",
        "1 step: max-pool windows won by another element than in float64": (
            f"{int(a['pool_windows_moved'][0])}, {int(b['pool_windows_moved'][0])}"
        ),
        "1 step: |Δ loss|": f"{abs(a['step_loss'][0] - b['step_loss'][0]):.1e}",
        "1 step: max rel. Δ gradient": f"{max(rel(k) for k in big):.1e}",
        "fit: max |Δ parameter|": (
            f"{np.max(np.abs(a[worst] - b[worst])):.1e} ({worst.removeprefix('param/')})"
        ),
        "fit: max |Δ prediction|": f"{np.max(np.abs(a['prediction'] - b['prediction'])):.1e}",
        "fit: max |Δ train loss|": f"{np.max(np.abs(a['train_loss'] - b['train_loss'])):.1e}",
        "fit: max |Δ codeword|": (
            f"{max(float(np.max(np.abs(a[k] - b[k]))) for k in books):.1e}" if books else "-"
        ),
        "fit: max |parameter|, |prediction|": (
            f"{max(float(np.max(np.abs(b[k]))) for k in params):.2f}, "
            f"{float(np.max(np.abs(b['prediction']))):.2f}"
        ),
    }


#: The seeded fits of ``--check``: (name, tree, extra torch threads), and the pairs compared.
CHECK_RUNS = [
    ("baseline", "baseline", 0),
    ("this tree", "this tree", 0),
    ("baseline, 2 threads", "baseline", 1),
    ("this tree, 2 threads", "this tree", 1),
]
CHECK_PAIRS = {
    "this tree vs baseline": ("this tree", "baseline"),
    "baseline 2 threads vs 1 (round-off only)": ("baseline, 2 threads", "baseline"),
    "this tree 2 threads vs 1 (round-off only)": ("this tree, 2 threads", "this tree"),
}


#: The second way of the one-step gradient comparison (see :func:`_one_step_gradients`).
FLOAT64_WINNERS = "max-pool winners of float64"


def check(
    args, trees: dict[str, Path], tmp: Path
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Seeded fits: this tree vs the baseline, and each tree vs itself on one more thread.

    The last two pairs differ only in the order of floating-point reductions (torch splits
    them across threads): they show how far float round-off alone carries after the same
    number of training steps, the scale against which the first pair is to be read.
    Then one training step (no fit) on ``args.check_seeds`` other seeds of the data and
    the initial weights, in both trees: how often max-pool winners move, and what that does.
    Returns the comparison, the one-step gradient error per parameter group and per seed.
    """
    rows, groups, steps = [], [], []
    for kind in args.kinds:
        runs = {}
        for name, tree, more in CHECK_RUNS:
            out = tmp / f"{kind}-{len(runs)}.npz"
            extra = [*_common_args(args, kind, args.check_size), "--check", "--out", str(out)]
            extra[extra.index("--threads") + 1] = str(args.threads + more)
            _run_worker(trees[tree], extra, args.threads + more)
            runs[name] = dict(np.load(out))
            log(f"check {kind}: {name} done")
        for label, (x, y) in CHECK_PAIRS.items():
            row = {"network": kind, "pair": label, **_diffs(runs[x], runs[y])}
            rows.append(row)
            log(f"check {kind} {label}: {row}")
        for name, run in runs.items():
            for key in [k for k in run if k.startswith("grad_error/")]:
                plain, routed = run[key]
                group = key.split("/", 1)[1]
                groups.append({"network": kind, "run": name, "group": group,
                               "as computed": plain, FLOAT64_WINNERS: routed})  # fmt: skip
        for seed in range(2, 2 + args.check_seeds):
            for tree in ("baseline", "this tree"):
                out = tmp / f"{kind}-step-{seed}-{tree.replace(' ', '_')}.npz"
                extra = [*_common_args(args, kind, args.check_size), "--check", "--out",
                         str(out), "--step-seed", str(seed)]  # fmt: skip
                _run_worker(trees[tree], extra, args.threads)
                run = dict(np.load(out))
                steps.append({"network": kind, "seed": seed, "tree": tree,
                              "as computed": run["grad_error/all"][0],
                              FLOAT64_WINNERS: run["grad_error/all"][1],
                              "windows moved": int(run["pool_windows_moved"][0])})  # fmt: skip
                log(f"check {kind}: one step, seed {seed}, {tree}: {steps[-1]}")
    table = pd.DataFrame(rows).set_index(["network", "pair"]).T
    return table, pd.DataFrame(groups), pd.DataFrame(steps)


def _md(table: pd.DataFrame) -> str:
    """A table of formatted numbers as Markdown, the strings kept as they are."""
    return table.to_markdown(disable_numparse=True)


def _group_table(groups: pd.DataFrame) -> pd.DataFrame:
    """Gradient error per parameter group (rows) and run (columns), formatted."""
    wide = groups.pivot_table(
        index="group", columns="run", values=["as computed", FLOAT64_WINNERS],
        sort=False,
    )  # fmt: skip
    wide = wide.reindex(columns=["baseline", "this tree"], level=1)
    wide.columns = [f"{run}: {how}" for how, run in wide.columns]
    return wide.map(lambda v: f"{v:.1e}")


def _steps_table(steps: pd.DataFrame) -> pd.DataFrame:
    """The one-step comparisons on other seeds: one row per network and seed."""
    wide = steps.pivot_table(
        index=["network", "seed"], columns="tree",
        values=["as computed", FLOAT64_WINNERS, "windows moved"], sort=False,
    )  # fmt: skip
    out = pd.DataFrame(index=wide.index)
    for tree in ("baseline", "this tree"):
        out[f"{tree}: gradient error"] = wide[("as computed", tree)].map("{:.1e}".format)
        out[f"{tree}: with float64's winners"] = wide[(FLOAT64_WINNERS, tree)].map("{:.1e}".format)
        out[f"{tree}: windows moved"] = wide[("windows moved", tree)].astype(int)
    return out


def _check_reading(steps: pd.DataFrame) -> str:
    """What the one-step comparisons say, in numbers taken from this run."""
    lines = []
    for (kind, tree), part in steps.groupby(["network", "tree"], sort=False):
        moved = int((part["windows moved"] > 0).sum())
        lines.append(
            f"- {kind}, {tree}: over {len(part)} seeds, max-pool windows moved in {moved}; "
            f"one-step gradient error vs float64 {part['as computed'].min():.1e} to "
            f"{part['as computed'].max():.1e} as computed, {part[FLOAT64_WINNERS].min():.1e} "
            f"to {part[FLOAT64_WINNERS].max():.1e} (median "
            f"{part[FLOAT64_WINNERS].median():.1e}) with float64's max-pool winners."
        )
    return (
        "The one-step gradient error of float32 against float64 is of two kinds. One is the "
        "arithmetic's rounding, spread over every parameter. The other comes from max-pool "
        "windows whose two largest values lie within float32 rounding of each other "
        "(gaps of 3e-8 relative occur among the 1e5-1e6 windows of a step): float32 may pick "
        "the other element, and the gradient then flows to another position. The max "
        "itself is continuous there, its gradient is not, so no accuracy of the arithmetic "
        "removes this; which windows flip depends on the order of every sum before them (the "
        "memory layout of a convolution, the thread count). The column 'with float64's "
        "winners' repeats the float32 step with every window won by float64's element: the "
        "arithmetic's error alone.\n\n" + "\n".join(lines)
    )


def _check_figure(groups: pd.DataFrame, steps: pd.DataFrame) -> str:
    """One-step gradient error vs float64: per parameter group, and per seed."""
    plt = pyplot()
    kinds = list(dict.fromkeys(groups["network"]))
    fig, axes = plt.subplots(len(kinds), 2, figsize=(FIGURE_WIDTH, 5.4 * len(kinds)),
                             squeeze=False, width_ratios=[2.2, 1])  # fmt: skip
    series = [("baseline", "as computed"), ("this tree", "as computed"),
              ("baseline", FLOAT64_WINNERS), ("this tree", FLOAT64_WINNERS)]  # fmt: skip
    for ax, kind in zip(axes[:, 0], kinds, strict=True):
        part = groups[groups["network"] == kind]
        order = list(dict.fromkeys(part["group"]))
        x = np.arange(len(order))
        width = 0.8 / len(series)
        for k, (run, how) in enumerate(series):
            values = part[part["run"] == run].set_index("group").loc[order, how]
            ax.bar(x + (k - 1.5) * width, values, width, label=f"{run}, {how}",
                   hatch="//" if how != "as computed" else None,
                   color=f"C{k % 2}", alpha=1.0 if how == "as computed" else 0.5)  # fmt: skip
        ax.set_xticks(x)
        ax.set_xticklabels(order, fontsize=8, rotation=35, ha="right")
        ax.set_yscale("log")
        ax.set_ylabel("|g32 - g64| / |g64|")
        ax.set_title(f"{kind}, seed 1: float32 vs float64 gradient per group")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(ncol=2, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.32))
    for ax, kind in zip(axes[:, 1], kinds, strict=True):
        part = steps[steps["network"] == kind]
        for k, tree in enumerate(("baseline", "this tree")):
            rows = part[part["tree"] == tree]
            shift = (k - 0.5) * 0.2
            ax.scatter(rows["seed"] + shift, rows["as computed"], color=f"C{k}",
                       label=f"{tree}, as computed")  # fmt: skip
            ax.scatter(rows["seed"] + shift, rows[FLOAT64_WINNERS], color=f"C{k}",
                       marker="_", s=120, label=f"{tree}, {FLOAT64_WINNERS}")  # fmt: skip
        ax.set_yscale("log")
        ax.set_xlabel("seed of data and initial weights")
        ax.set_xticks(sorted(set(part["seed"])))
        ax.set_title("all parameters, one step per seed")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    fig.tight_layout()
    return save_figure(
        fig,
        "training_step_check",
        "One-step float32 gradient error vs float64 per parameter group, as computed and "
        "with float64's max-pool winners",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="faa281e", help="git ref of the old code")
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--kinds", nargs="+", default=["LQRPPG"],
                        choices=["LQRPPG", "ablation", "PhysNet"])  # fmt: skip
    parser.add_argument("--length", type=int, default=160)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    per_size = "one value for all sizes, or one per size"
    parser.add_argument("--epochs", type=int, nargs="+", default=[3],
                        help=f"per worker, the first dropped; {per_size}")  # fmt: skip
    parser.add_argument("--clips", type=int, nargs="+", default=[32], help=per_size)
    parser.add_argument("--repeats", type=int, nargs="+", default=[2], help=per_size)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="compare a short seeded fit")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one training step per size in this tree")  # fmt: skip
    parser.add_argument("--check-size", type=int, default=32)
    parser.add_argument("--check-seeds", type=int, default=6,
                        help="one-step gradient comparisons on as many other seeds")  # fmt: skip
    parser.add_argument("--load", default="", help="the machine's other load, for the page")
    parser.add_argument("--note", default="", help="a remark for the page (what was not run)")
    parser.add_argument("--page", default="training_step",
                        help="the speed page's name (docs/benchmarks/<page>.md)")  # fmt: skip
    # worker-only options
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--src", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="LQRPPG", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=32, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--step-seed", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    for option in ("epochs", "clips", "repeats"):
        values = getattr(args, option)
        if len(values) not in (1, len(args.sizes)) and not args.worker:
            parser.error(f"--{option} takes one value or one per size ({len(args.sizes)})")
        if args.worker or args.check:
            setattr(args, option, values[:1] if not args.worker else values[0])
    if args.worker:
        worker(args)
        return

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = _extract(args.baseline, tmp)
        trees = {"baseline": base, "this tree": REPO}
        setting = (
            f"baseline: commit {args.baseline} (`git archive`), this tree: the checkout "
            f"below; {args.threads} torch thread(s); T = {args.length}, dim {args.dim}, "
            f"batch {args.batch_size}."
        )
        if args.load:
            setting += f" Load on the machine during the run: {args.load}."
        if args.note:
            setting += f" {args.note}"
        if args.check:
            setting += (
                f" Each fit: {args.epochs[0]} epoch(s), 8 synthetic videos at "
                f"{args.check_size} x {args.check_size}, 2 for validation."
            )
            table, groups, steps = check(args, trees, tmp)
            sections = [
                ("Setting", setting),
                ("Reading", _check_reading(steps)),
                (f"Short seeded fit at {args.check_size} x {args.check_size}", _md(table)),
                ("One-step gradient error per parameter group (seed 1)", _md(_group_table(groups))),
                ("One training step on other seeds", _md(_steps_table(steps))),
                ("Figure", _check_figure(groups, steps)),
            ]
            name = "training_step_check"
            title = "Training step: seeded fit and gradient check, this tree vs a baseline"
        else:
            setting += (
                " Per worker: the clips, the epochs (the first dropped) and the repeats per "
                "tree of the table, alternating."
            )
            table = speed(args, trees)
            sections = [
                ("Setting", setting),
                ("Training clips/s (best epoch of all repeats)", table),
                ("Figure", _speed_figure(table, args.page)),
            ]
            if args.profile:
                groups, top = profile_steps(args)
                sections += [
                    ("Profile: reading", _profile_reading(groups)),
                    (f"Where one training step's time goes (this tree, {args.kinds[0]}, "
                     f"batch {args.batch_size}, torch.profiler, self CPU time)", groups),
                    ("The operators that cost most", top),
                ]  # fmt: skip
            name = args.page
            title = "Training step speed: this tree vs a baseline"
    sections[0] = (
        "Setting",
        sections[0][1] + f" The machine's 1-minute load average when the workers started: "
        f"{np.nanmin(LOADS):.1f} to {np.nanmax(LOADS):.1f} (median {np.nanmedian(LOADS):.1f}) "
        f"on {os.cpu_count()} logical cores.",
    )
    with pd.option_context("display.width", 160, "display.float_format", "{:.3g}".format):
        print(table.to_string())
    path = write_results(name, title, sections)
    print(f"written: {path}")


if __name__ == "__main__":
    main()
