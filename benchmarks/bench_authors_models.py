"""The LQ-rPPG authors' released models in lqrppg: agreement with their forward, and one choice.

1. Port check. For every array of ``../shared/lq_rppg_authors/c2f_reference.npz`` and
   ``lq_reference_UBFC_UBFC.npz`` (outputs of the authors' own model code, float64 run):
   the largest |ours - reference| of our float32 port (``load_authors_checkpoint``), the
   tests' tolerance beside it. The two reference inputs are rebuilt as the README there says.
2. Per-clip against per-video standardisation. The authors z-score the frames of a whole
   video before cutting it into clips; ``LQRPPGRegressor.predict`` z-scores each clip. On
   synthetic face videos (``make_synthetic_rppg``, 128 x 128, 60 s, mild noise, 6 subjects)
   cut into non-overlapping clips of 160 frames, both inputs go through the UBFC_UBFC and
   PURE_PURE models: correlation of the joined waveforms, and the whole-video HR of each
   against the truth.

Run: ``python benchmarks/bench_authors_models.py [--authors DIR] [--threads 1]``. Writes
docs/benchmarks/authors_models.md and its figure authors_models.png.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _common import FIGURE_WIDTH, REPO, log, pyplot, save_figure, write_results

from lqrppg.datasets import make_synthetic_rppg
from lqrppg.exceptions import EstimationWarning
from lqrppg.models import clips_to_tensor, load_authors_checkpoint
from lqrppg.models._authors import _build_quantizer
from lqrppg.signal import estimate_hr
from lqrppg.video import cut_clips

PROTOCOLS = ("UBFC_UBFC", "PURE_PURE")


def _real_input(release: Path) -> np.ndarray:
    import cv2

    path = release.parent / "data" / "bias_eval_rppg_dev" / "Data" / "India"
    cap = cv2.VideoCapture(str(path / "video12_forehead.avi"))
    frames = []
    while len(frames) < 81:
        ok, frame = cap.read()
        if not ok:
            raise RuntimeError("video12_forehead.avi ended before 81 frames")
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        frames.append(cv2.resize(rgb, (128, 128), interpolation=cv2.INTER_AREA))
    cap.release()
    raw = np.stack(frames).astype(np.float64)
    up = np.empty((2 * len(raw) - 1, *raw.shape[1:]))
    up[0::2] = raw
    up[1::2] = 0.5 * (raw[:-1] + raw[1:])
    return up[:160]


def _scientific(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its numbers in scientific notation (2 decimals would show 0.00)."""
    out = table.copy()
    out.attrs["floatfmt"] = ".2e"
    return out


def port_check(release: Path) -> pd.DataFrame:
    ref = np.load(release / "c2f_reference.npz")
    inputs = {"random": ref["raw_random"], "real": _real_input(release)}
    rows = []
    for protocol in PROTOCOLS:
        model = load_authors_checkpoint(release, protocol)
        net = model.module_
        for name, clip in inputs.items():
            seen = {}
            hook = net.predictor.register_forward_pre_hook(
                lambda m, a, seen=seen: seen.__setitem__("out", a[0].transpose(1, 2))
            )
            x = clips_to_tensor(torch.from_numpy(np.asarray(clip[None], dtype=np.float32)))
            with torch.no_grad():
                tokens = net.embed(x)
                out = net(x)
            hook.remove()
            ours = {
                "rppg": model.predict(clip[None]),
                "final_token_head": out.raw_heads[-1].numpy(),
                **{f"y{i + 1}": out.raw_heads[i].numpy() for i in range(4)},
                "feat_mamba1_in": tokens.numpy(),
                "feat_mamba4_out": seen["out"].numpy(),
            }
            for key, value in ours.items():
                r = ref[f"{protocol}_{name}_{key}"]
                rows.append(
                    {
                        "model": protocol,
                        "input": name,
                        "array": key,
                        "max abs(ours - ref)": float(np.abs(value - r).max()),
                        "max abs(ref)": float(np.abs(r).max()),
                        "tolerance": 1e-4,
                    }
                )
        for level in range(5):
            r = np.sort(ref[f"{protocol}_codebook_{level + 1}"][:, 0])
            rows.append(
                {
                    "model": protocol,
                    "input": "-",
                    "array": f"codebook_{level + 1}",
                    "max abs(ours - ref)": float(np.abs(model.codebooks_[level] - r).max()),
                    "max abs(ref)": float(np.abs(r).max()),
                    "tolerance": 1e-4,
                }
            )
        rows.append(
            {
                "model": protocol,
                "input": "both",
                "array": "authors' float32 run vs their float64 (rppg)",
                "max abs(ours - ref)": float(ref[f"{protocol}_fp32_vs_fp64_rppg_maxdiff"].max()),
                "max abs(ref)": np.nan,
                "tolerance": np.nan,
            }
        )
    lq = np.load(release / "lq_reference_UBFC_UBFC.npz")
    cfg = ["1th_LQ_Epoch9", "2th_LQ_Epoch8", "3th_LQ_Epoch11", "4th_LQ_Epoch19", "5th_LQ_Epoch26"]
    x = torch.from_numpy(lq["lq_input"])
    for level, name in enumerate(cfg, start=1):
        net, _, _ = _build_quantizer(
            release / "PreTrainedModels" / f"UBFC_UBFC_LQC2F_{name}.pth", level
        )
        with torch.no_grad():
            out = net(x)
        for key, value in (
            ("encoder_out", out.latent.numpy()),
            ("quantized", out.quantized.numpy()),
            ("c_loss", np.array([float(out.commitment_loss)])),
        ):
            r = lq[f"lq{level}_{key}"]
            rows.append(
                {
                    "model": f"UBFC_UBFC quantizer {level}",
                    "input": "4 pulses",
                    "array": key,
                    "max abs(ours - ref)": float(np.abs(value - r).max()),
                    "max abs(ref)": float(np.abs(r).max()),
                    "tolerance": 1e-5,
                }
            )
        rows.append(
            {
                "model": f"UBFC_UBFC quantizer {level}",
                "input": "4 pulses",
                "array": "indices (count differing)",
                "max abs(ours - ref)": float(
                    (out.indices.numpy() != lq[f"lq{level}_indices"]).sum()
                ),
                "max abs(ref)": np.nan,
                "tolerance": 0.0,
            }
        )
    return pd.DataFrame(rows).set_index(["model", "input", "array"])


def standardisation(release: Path, n_subjects: int, duration: float) -> pd.DataFrame:
    data = make_synthetic_rppg(
        n_subjects=n_subjects,
        duration=duration,
        frame_size=(128, 128),
        label_noise="mild",
        random_state=0,
    )
    rows = []
    for protocol in PROTOCOLS:
        model = load_authors_checkpoint(release, protocol)
        for k in range(n_subjects):
            video = data.videos[k]
            cut = cut_clips(video, model.n_frames_)  # non-overlapping, as the authors
            per_clip = model.predict(cut.clips).ravel()
            v = video.astype(np.float64)
            v = ((v - v.mean()) / v.std()).astype(np.float32)
            per_video = (
                model.set_params(preprocessing="none")
                .predict(cut_clips(v, model.n_frames_).clips)
                .ravel()
            )
            model.set_params(preprocessing="standardize")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EstimationWarning)
                hr_clip = float(estimate_hr(per_clip, data.fs))
                hr_video = float(estimate_hr(per_video, data.fs))
            rows.append(
                {
                    "model": protocol,
                    "subject": k,
                    "true HR": float(data.hr[k]),
                    "r(per clip, per video)": float(np.corrcoef(per_clip, per_video)[0, 1]),
                    "max |difference|": float(np.abs(per_clip - per_video).max()),
                    "HR per clip": hr_clip,
                    "HR per video": hr_video,
                }
            )
        log(f"standardisation: {protocol} done")
    return pd.DataFrame(rows)


def draw(check: pd.DataFrame, std: pd.DataFrame) -> str:
    """Left: port differences per array (log scale) against the tolerance and the authors'
    own float32-vs-float64 difference; right: whole-video HR, per-clip vs per-video z-score."""
    plt = pyplot()
    fig, (ax, bx) = plt.subplots(
        1, 2, figsize=(FIGURE_WIDTH, 4.6), layout="constrained", width_ratios=(1.5, 1)
    )
    table = check.reset_index()
    c2f = table[table["input"].isin(["random", "real"])]
    arrays = list(dict.fromkeys(c2f["array"]))
    x = np.arange(len(arrays))
    series = [(m, i) for m in PROTOCOLS for i in ("random", "real")]
    width = 0.8 / len(series)
    for k, (model, inp) in enumerate(series):
        rows = c2f[(c2f["model"] == model) & (c2f["input"] == inp)].set_index("array")
        values = rows.loc[arrays, "max abs(ours - ref)"].to_numpy(float)
        ax.bar(x + (k - (len(series) - 1) / 2) * width, np.maximum(values, 1e-9), width,
               label=f"{model}, {inp} input")  # fmt: skip
    fp = table[table["array"].str.startswith("authors' float32")]
    for model, ls in zip(PROTOCOLS, ("--", ":"), strict=True):
        value = float(fp.loc[fp["model"] == model, "max abs(ours - ref)"].iloc[0])
        ax.axhline(value, color="0.3", ls=ls, lw=1,
                   label=f"authors' own float32 vs float64, {model} (rppg)")  # fmt: skip
    ax.axhline(1e-4, color="#d62728", lw=1, label="tests' tolerance")
    ax.set_yscale("log")
    ax.set_ylim(3e-7, 3e-3)  # room for the legend above the tolerance
    ax.set_xticks(x, arrays, rotation=35, ha="right")
    ax.set_ylabel("max |ours - authors' reference|")
    ax.set_title("Port check: C2F outputs and features")
    ax.legend(fontsize=7, loc="upper left")
    for model, marker in zip(PROTOCOLS, ("o", "s"), strict=True):
        rows = std[std["model"] == model]
        bx.scatter(rows["true HR"], rows["HR per clip"], marker=marker, facecolors="none",
                   edgecolors="C0", label=f"{model}, per-clip z-score (lqrppg)")  # fmt: skip
        bx.scatter(rows["true HR"], rows["HR per video"], marker=marker, s=12, color="C1",
                   label=f"{model}, per-video z-score (authors)")  # fmt: skip
    lo = float(min(std["true HR"].min(), std[["HR per clip", "HR per video"]].min().min())) - 3
    hi = float(max(std["true HR"].max(), std[["HR per clip", "HR per video"]].max().max())) + 3
    bx.plot([lo, hi], [lo, hi], color="0.5", lw=0.8)
    bx.set_xlabel("true HR (bpm)")
    bx.set_ylabel("whole-video HR (bpm)")
    bx.set_title("Standardisation: HR on synthetic videos")
    bx.legend(fontsize=7, loc="upper left")
    return save_figure(
        fig,
        "authors_models",
        "Left: largest difference of our port from the authors' reference outputs per array "
        "(log scale), with the tests' tolerance and the authors' own float32-vs-float64 "
        "difference; right: whole-video HR with per-clip and per-video standardisation.",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authors", type=Path, default=REPO.parent / "shared" / "lq_rppg_authors")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--subjects", type=int, default=6)
    parser.add_argument("--duration", type=float, default=60.0)
    args = parser.parse_args()
    if not (args.authors / "configs").is_dir():
        print(f"the authors' release is not at {args.authors}; pass --authors DIR")
        return 1
    torch.set_num_threads(args.threads)
    check = port_check(args.authors)
    log("port check done")
    std = standardisation(args.authors, args.subjects, args.duration)
    summary = (
        std.assign(
            err_clip=(std["HR per clip"] - std["true HR"]).abs(),
            err_video=(std["HR per video"] - std["true HR"]).abs(),
            hr_diff=(std["HR per clip"] - std["HR per video"]).abs(),
        )
        .groupby("model")
        .agg(
            subjects=("subject", "size"),
            median_r=("r(per clip, per video)", "median"),
            min_r=("r(per clip, per video)", "min"),
            hr_mae_per_clip=("err_clip", "mean"),
            hr_mae_per_video=("err_video", "mean"),
            max_hr_difference=("hr_diff", "max"),
        )
    )
    with pd.option_context("display.width", 160, "display.float_format", "{:.3g}".format):
        print(check.to_string())
        print(std.to_string())
        print(summary.to_string())
    path = write_results(
        "authors_models",
        "The LQ-rPPG authors' released models: port check and standardisation",
        [
            (
                "Port check",
                "Largest absolute difference between our float32 port and the reference "
                "outputs of the authors' own code (float64 run); quantizer rows run the "
                "released quantizers unsorted on the reference's standardised pulses.",
            ),
            ("Port check: table", _scientific(check.reset_index())),
            ("Figure", draw(check, std)),
            (
                "Per-clip against per-video standardisation",
                f"{args.subjects} synthetic face videos of {args.duration:g} s at 128x128, "
                "mild label noise (seed 0), cut into non-overlapping 160-frame clips; each "
                "clip z-scored on its own (lqrppg) or with the whole video's mean and std "
                "(the authors); HR of the joined waveform by estimate_hr.",
            ),
            ("Summary", summary),
            ("Per video", std),
        ],
    )
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
