"""Label-noise robustness on synthetic videos: LQ-rPPG, its ablation, PhysNet, POS and CHROM.

Per seed, one set of ``make_synthetic_rppg`` subjects (one video each, default 30 subjects x
32 s at 32 x 32 pixels, 30 fps, mild motion and light changes) is rendered once per label-noise
level ('mild', 'moderate', 'severe'). The videos and the clean pulse do not depend on the label
noise: the script asserts that they are identical across the levels, so every level shares the
same videos, the same subject split and the same truth, and only the contact-PPG label differs.
Subjects are split into training and test subjects (default 24 / 6, drawn from the seed). Every
video is cut by ``lqrppg.video.cut_clips`` into non-overlapping clips of 160 frames (the
remainder dropped and counted).

Trained methods see the clips of the training subjects with their NOISY label and
``groups`` = subject ids (the estimator holds out whole subjects internally to pick its best
epoch; the test subjects are never seen): ``LQRPPGRegressor`` (label quantizers + C2F),
``ablation`` (the same with ``use_label_quantization=False``; same epochs, batch and seed) and
``PhysNetRegressor`` (``chunk_length=160``). POS and CHROM need no training; they do not
depend on the label noise and are run once per seed (their rows repeat across levels).

Evaluation is on the test subjects against the CLEAN truth:

- per video: the clip predictions are joined by ``overlap_add`` (non-overlapping clips, so
  this is their concatenation) over the frames the clips cover; POS and CHROM run on those
  frames of the whole video, as rPPG-Toolbox evaluates unsupervised methods. HR by
  ``estimate_hr`` (detrend, band-pass 0.75-2.5 Hz, spectral peak); truth = the mean of the
  generator's ``hr_instantaneous`` over the same frames (the time average the generator's
  ``hr`` is; equal to ``hr`` when the clips cover the whole video); SNR by ``snr`` of the
  detrended, band-passed waveform around the true HR. MAE, RMSE, Pearson (with standard
  errors) and SNR by ``evaluate_hr``, pooled over the test videos of all seeds; per-seed MAE
  too.
- per clip (a second, larger-sample view): HR of every 160-frame (5.3 s) clip prediction
  against the mean instantaneous HR over the clip.
- reference rows: the clean pulse itself (the floor of the HR chain) and the noisy label (how
  wrong the training target is, in HR).

Targets (issue): at 'moderate', LQRPPGRegressor video MAE <= 1.0 bpm, >= 20 % lower than the
ablation's, and lower than POS's and CHROM's.

Default (2-core CPU) setting, chosen to finish in about 50 minutes: 3 seeds x 3 levels x 3
trained methods = 27 fits on 24 subjects x 6 clips (about 20 % of them held out for
validation) at 32 x 32 pixels; LQ-rPPG and ablation with dim 64, 10 epochs, batch 16 and
30 quantizer epochs; PhysNet 4 epochs (its batch 4 and lr 9e-3); everything else at the
estimators' defaults. Measured on an idle 2-core AMD EPYC with 2 torch threads (tuning seed
100, not a benchmark seed): 30 quantizer epochs 17 s; one epoch 9.4 s (LQ-rPPG), 9.5 s
(ablation), 21 s (PhysNet); so one seed x level takes about 17 + 94 + 95 + 84 s of fitting
plus about 5 s of prediction, 9 of them about 45 min, plus about 12 s of rendering per seed.
PhysNet gets fewer epochs because its epoch costs twice as much and, on the tuning seed, it
had not started to learn after 10 epochs (negative-Pearson training loss 0.99-1.0, validation
HR error 46-51 bpm at every epoch; with lr 1e-3 neither, in 6 epochs). A busy CPU slows
everything down (another process at 100 % made some epochs three times slower): run it alone.
``--full`` is METHOD.md's setting for a GPU machine: 128 x 128 frames, 50 epochs (LQ,
ablation), 30 quantizer epochs, PhysNet at its own default of 30 epochs, all other parameters
at their defaults. ``--quick`` is a smoke run (1 seed, 8 subjects, 'moderate' only, 1 epoch,
1 quantizer epoch).

Progress is logged with timestamps; after every fit the per-video and per-clip rows are
written to a CSV (``--csv``, default in the temp directory) and after every seed the results
page is rewritten (marked partial until the end), so a run cut short still leaves numbers.

Run: ``python benchmarks/bench_robustness.py [--seeds 0 1 2] [--subjects 30]
[--test-subjects 6] [--duration 32] [--size 32] [--dim 64] [--epochs 10]
[--physnet-epochs 4] [--quantizer-epochs 30] [--noise mild moderate severe]
[--methods LQRPPG ablation PhysNet POS CHROM] [--budget-minutes 60] [--threads 2]
[--full | --quick]``. Writes docs/benchmarks/robustness.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _common import elapsed, log, write_results

from lqrppg.baselines import CHROM, POS
from lqrppg.datasets import make_synthetic_rppg
from lqrppg.exceptions import EstimationWarning
from lqrppg.metrics import evaluate_hr
from lqrppg.models import LQRPPGRegressor, PhysNetRegressor
from lqrppg.signal import estimate_hr, filter_pulse, snr
from lqrppg.video import cut_clips, overlap_add

CHUNK = 160
LEVELS = ("mild", "moderate", "severe")
TRAINED = ("LQRPPG", "ablation", "PhysNet")
BASELINES = {"POS": POS, "CHROM": CHROM}
METHODS = (*TRAINED, *BASELINES)
REFERENCES = ("clean pulse (ref.)", "noisy label (ref.)")
TARGET_LEVEL = "moderate"

# Settings of the presets; an option given on the command line overrides its preset value.
PRESETS = {
    "default": {
        "seeds": [0, 1, 2],
        "subjects": 30,
        "test_subjects": 6,
        "duration": 32.0,
        "size": 32,
        "dim": 64,
        "epochs": 10,
        "physnet_epochs": 4,
        "quantizer_epochs": 30,
        "noise": list(LEVELS),
    },
    "full": {
        "seeds": [0, 1, 2],
        "subjects": 30,
        "test_subjects": 6,
        "duration": 32.0,
        "size": 128,
        "dim": 64,
        "epochs": 50,
        "physnet_epochs": 30,  # PhysNetRegressor's default
        "quantizer_epochs": 30,
        "noise": list(LEVELS),
    },
    "quick": {
        "seeds": [0],
        "subjects": 8,
        "test_subjects": 2,
        "duration": 32.0,
        "size": 32,
        "dim": 64,
        "epochs": 1,
        "physnet_epochs": 1,
        "quantizer_epochs": 1,
        "noise": [TARGET_LEVEL],
    },
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", help="default 0 1 2")
    parser.add_argument("--subjects", type=int, help="subjects per seed (default 30)")
    parser.add_argument("--test-subjects", type=int, help="held-out test subjects (default 6)")
    parser.add_argument("--duration", type=float, help="seconds per video (default 32)")
    parser.add_argument("--size", type=int, help="frame height = width (default 32)")
    parser.add_argument("--dim", type=int, help="LQ-rPPG token width (default 64)")
    parser.add_argument("--epochs", type=int, help="epochs of LQ-rPPG and ablation (default 10)")
    parser.add_argument("--physnet-epochs", type=int, help="PhysNet epochs (default 4)")
    parser.add_argument("--quantizer-epochs", type=int, help="per level (default 30)")
    parser.add_argument("--noise", nargs="+", choices=LEVELS, help="label-noise levels")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--batch-size", type=int, default=16, help="LQ-rPPG and ablation")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--device", default="auto", help="torch device of the networks")
    parser.add_argument(
        "--budget-minutes",
        type=float,
        default=60.0,
        help="warn when the projected wall time exceeds this",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        default=Path(tempfile.gettempdir()) / "lqrppg_bench_robustness.csv",
        help="per-video / per-clip rows, rewritten after every fit",
    )
    parser.add_argument("--verbose", type=int, default=0, help="estimators' progress bars")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_true", help="128x128, METHOD.md epochs (GPU)")
    mode.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 8 subjects")
    args = parser.parse_args()
    args.preset = "full" if args.full else "quick" if args.quick else "default"
    for key, value in PRESETS[args.preset].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if not 1 <= args.test_subjects < args.subjects - 1:
        parser.error("--test-subjects must leave at least 2 training subjects")
    if round(args.duration * 30) < CHUNK:
        parser.error(f"--duration must give at least one clip of {CHUNK} frames at 30 fps")
    args.noise = [lv for lv in LEVELS if lv in args.noise]
    args.methods = [m for m in METHODS if m in args.methods]
    return args


# ------------------------------------------------------------------------------ data


def make_seed_data(args: argparse.Namespace, seed: int) -> dict:
    """Videos, clean pulse and the noisy labels of every level for one seed."""
    base, labels = None, {}
    for level in args.noise:
        data = make_synthetic_rppg(
            n_subjects=args.subjects,
            duration=args.duration,
            frame_size=(args.size, args.size),
            label_noise=level,
            random_state=seed,
        )
        if base is None:
            base = data
        else:
            # the label noise must touch only the label: same videos, pulse and truth
            assert np.array_equal(data.videos, base.videos), "videos differ across noise levels"
            assert np.array_equal(data.ppg_clean, base.ppg_clean), "clean pulse differs"
            assert np.array_equal(data.hr_instantaneous, base.hr_instantaneous)
        labels[level] = data.ppg
        del data
    return {"data": base, "labels": labels}


def cut_set(data, labels: dict[str, np.ndarray]) -> dict:
    """Non-overlapping clips of every video (``cut_clips``), their labels and truths."""
    clips, clip_labels = [], {lv: [] for lv in labels}
    video_of, starts = [], None
    for i, video in enumerate(data.videos):
        cut = cut_clips(video, CHUNK)
        clips.append(cut.clips)
        for lv, ppg in labels.items():
            clip_labels[lv].append(cut_clips(ppg[i], CHUNK).clips)
        video_of.append(np.full(len(cut.starts), i))
        starts = cut.starts
    covered = int(starts[-1] + CHUNK)
    hr_inst = data.hr_instantaneous
    clip_truth = np.stack([hr_inst[:, s : s + CHUNK].mean(axis=1) for s in starts], axis=1)
    return {
        "clips": np.concatenate(clips),
        "labels": {lv: np.concatenate(v) for lv, v in clip_labels.items()},
        "video_of": np.concatenate(video_of),
        "starts": starts,
        "n_frames": cut.n_frames,
        "covered": covered,
        "n_uncovered": cut.n_uncovered,
        "video_truth": hr_inst[:, :covered].mean(axis=1),
        "clip_truth": clip_truth.reshape(-1),  # video-major, like "clips"
    }


def split_subjects(subjects: np.ndarray, n_test: int, seed: int) -> np.ndarray:
    """Sorted test subject ids, drawn from the seed (independently of the data)."""
    rng = np.random.default_rng([seed, 2024])
    return np.sort(rng.choice(np.unique(subjects), size=n_test, replace=False))


# ------------------------------------------------------------------------------ scoring


def _hr(wave: np.ndarray, fs: float) -> np.ndarray:
    out = np.full(wave.shape[0], np.nan)
    ok = np.all(np.isfinite(wave), axis=1) & (np.std(wave, axis=1) > 0)
    if ok.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)
            out[ok] = estimate_hr(wave[ok], fs)
    return out


def _snr(wave: np.ndarray, truth: np.ndarray, fs: float) -> np.ndarray:
    out = np.full(wave.shape[0], np.nan)
    ok = np.all(np.isfinite(wave), axis=1) & (np.std(wave, axis=1) > 0)
    if ok.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)
            out[ok] = snr(filter_pulse(wave[ok], fs), truth[ok], fs)
    return out


def score_rows(
    tag: dict, unit: str, wave: np.ndarray, truth: np.ndarray, ids: np.ndarray, fs: float
) -> list[dict]:
    """One row per video or clip: true and estimated HR and SNR."""
    hr, s = _hr(wave, fs), _snr(wave, truth, fs)
    return [
        {**tag, "unit": unit, "item": int(k), "hr_true": t, "hr_pred": p, "snr_db": q}
        for k, t, p, q in zip(ids, truth, hr, s, strict=True)
    ]


def add_rows(
    rows: list, ctx: dict, tag: dict, video_wave: np.ndarray, clip_wave: np.ndarray, fs: float
) -> None:
    """Score the test videos and the test clips of one method; append the rows."""
    rows.extend(score_rows(tag, "video", video_wave, ctx["v_truth"], ctx["vid"], fs))
    rows.extend(score_rows(tag, "clip", clip_wave, ctx["c_truth"], ctx["clip"], fs))


def join_videos(pred: np.ndarray, n_videos: int, cs: dict) -> np.ndarray:
    """Whole-video waveforms (covered frames) from video-major clip predictions."""
    per_video = pred.reshape(n_videos, len(cs["starts"]), CHUNK)
    return np.stack(
        [overlap_add(v, cs["starts"], cs["n_frames"])[: cs["covered"]] for v in per_video]
    )


def metrics(rows: pd.DataFrame) -> dict:
    """evaluate_hr over the rows (NaN estimates omitted and counted)."""
    t, p, s = (rows[c].to_numpy(float) for c in ("hr_true", "hr_pred", "snr_db"))
    kept = np.isfinite(p)
    out = {"n": len(rows), "no estimate": int((~kept).sum())}
    if kept.sum() < 2:
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        use_snr = np.all(np.isfinite(s[kept]))
        table = evaluate_hr(t, p, snr=s if use_snr else None, nan_policy="omit")
    out.update(
        {
            "MAE": table.loc["MAE", "value"],
            "MAE SE": table.loc["MAE", "std_error"],
            "RMSE": table.loc["RMSE", "value"],
            "Pearson": table.loc["Pearson", "value"],
            "Pearson SE": table.loc["Pearson", "std_error"],
            "SNR dB": table.loc["SNR", "value"] if use_snr else np.nanmean(s[kept]),
        }
    )
    return out


# ------------------------------------------------------------------------------ methods


def make_estimator(name: str, args: argparse.Namespace, seed: int):
    common = {
        "fs": 30.0,
        "device": args.device,
        "num_threads": args.threads,
        "random_state": seed,
        "verbose": args.verbose,
    }
    if name == "PhysNet":
        return PhysNetRegressor(chunk_length=CHUNK, epochs=args.physnet_epochs, **common)
    return LQRPPGRegressor(
        chunk_length=CHUNK,
        dim=args.dim,
        epochs=args.epochs,
        quantizer_epochs=args.quantizer_epochs,
        batch_size=args.batch_size,
        use_label_quantization=name == "LQRPPG",
        **common,
    )


def fit_info(est, fit_s: float, predict_s: float) -> dict:
    hist = est.history_
    best = hist[est.best_epoch_ - 1]
    return {
        "fit s": fit_s,
        "predict s": predict_s,
        "epochs run": len(hist),
        "s/epoch": float(np.mean([h["time_s"] for h in hist])),
        "best epoch": est.best_epoch_,
        "val HR MAE at best": best.get("val_hr_mae", np.nan),
        "train loss first": hist[0]["train_loss"],
        "train loss last": hist[-1]["train_loss"],
        "val clips": est.n_validation_clips_,
    }


# ------------------------------------------------------------------------------ tables


def _ordered(names) -> list[str]:
    order = [*METHODS, *REFERENCES]
    return sorted(set(names), key=order.index)


def pooled_table(rows: pd.DataFrame, unit: str) -> pd.DataFrame:
    out = []
    for (level, method), grp in rows[rows.unit == unit].groupby(["noise", "method"]):
        out.append({"noise": level, "method": method, **metrics(grp)})
    frame = pd.DataFrame(out)
    frame["noise"] = pd.Categorical(frame["noise"], LEVELS, ordered=True)
    frame["method"] = pd.Categorical(frame["method"], _ordered(frame["method"]), ordered=True)
    return frame.sort_values(["noise", "method"]).set_index("method")


def wide_mae(pooled: pd.DataFrame) -> pd.DataFrame:
    """MAE +- SE (bpm), methods x noise levels."""
    cell = pooled.apply(lambda r: f"{r.get('MAE', np.nan):.2f} ± {r.get('MAE SE', np.nan):.2f}", 1)
    frame = pd.DataFrame({"noise": pooled["noise"].astype(str), "cell": cell})
    wide = frame.reset_index().pivot(index="method", columns="noise", values="cell")
    wide = wide[[lv for lv in LEVELS if lv in wide.columns]]
    return wide.loc[_ordered(wide.index)]


def per_seed_mae(rows: pd.DataFrame) -> pd.DataFrame:
    vid = rows[rows.unit == "video"].assign(err=lambda d: (d.hr_pred - d.hr_true).abs())
    wide = vid.pivot_table(index="method", columns=["noise", "seed"], values="err", aggfunc="mean")
    wide = wide.reindex(columns=[c for lv in LEVELS for c in wide.columns if c[0] == lv])
    wide.columns = [f"{lv} s{seed}" for lv, seed in wide.columns]
    return wide.loc[_ordered(wide.index)]


def targets_table(pooled_video: pd.DataFrame, pooled_clip: pd.DataFrame) -> pd.DataFrame:
    """The issue's targets at TARGET_LEVEL: video level (the targets) and clip level (a check)."""
    rows = []
    for view, pooled in (("video", pooled_video), ("clip", pooled_clip)):
        at = pooled[pooled["noise"] == TARGET_LEVEL]
        mae = {}
        if "MAE" in at.columns:
            mae = {m: at.loc[m, "MAE"] for m in at.index if np.isfinite(at.loc[m, "MAE"])}
        lq = mae.get("LQRPPG", np.nan)

        def add(target: str, measured: str, ok, view=view) -> None:
            met = "n/a" if ok is None else ("yes" if ok else "NO")
            rows.append({"view": view, "target": target, "measured": measured, "met": met})

        if view == "video":
            ok = None if np.isnan(lq) else bool(lq <= 1.0)
            add(f"LQRPPG MAE at '{TARGET_LEVEL}' <= 1.0 bpm", f"{lq:.2f} bpm", ok)
        if "ablation" in mae and not np.isnan(lq):
            ab = mae["ablation"]
            red = 100 * (1 - lq / ab) if ab > 0 else np.nan
            add(
                "LQRPPG MAE >= 20 % lower than the ablation's",
                f"{lq:.2f} vs {ab:.2f} bpm ({red:.0f} % lower)",
                bool(red >= 20),
            )
        for base in BASELINES:
            if base in mae and not np.isnan(lq):
                add(
                    f"LQRPPG MAE lower than {base}'s",
                    f"{lq:.2f} vs {mae[base]:.2f} bpm",
                    bool(lq < mae[base]),
                )
    return pd.DataFrame(rows).set_index("view")


def training_table(fits: pd.DataFrame) -> pd.DataFrame:
    cols = [
        "fit s",
        "s/epoch",
        "predict s",
        "epochs run",
        "best epoch",
        "val HR MAE at best",
        "val clips",
    ]
    table = fits.groupby(["method", "noise"], observed=True)[cols].mean()
    return table.reset_index("noise").loc[_ordered(fits["method"])]


def settings_text(args: argparse.Namespace, facts: dict) -> str:
    n_train = args.subjects - args.test_subjects
    lines = [
        f"- preset `{args.preset}`; seeds {args.seeds}; label noise {args.noise}; methods "
        f"{args.methods}.",
        f"- data: `make_synthetic_rppg(n_subjects={args.subjects}, duration={args.duration:g}, "
        f"frame_size=({args.size}, {args.size}), label_noise=<level>, random_state=<seed>)` "
        "(30 fps, motion and illumination 'mild'); videos, clean pulse and instantaneous HR "
        "asserted identical across the noise levels of a seed.",
        f"- clips: `cut_clips(video, {CHUNK})`, non-overlapping: {facts.get('clips_per_video')} "
        f"clips per video, {facts.get('n_uncovered')} frames per video dropped (covered "
        f"{facts.get('covered')} of {facts.get('n_frames')} frames).",
        f"- split per seed: {n_train} training / {args.test_subjects} test subjects (drawn "
        f"from the seed); {n_train * facts.get('clips_per_video', 0)} training clips, of which "
        "the estimators hold out whole subjects (`validation_fraction=0.2`, `groups` = "
        "subject ids) to pick the best epoch; the test subjects are never seen in training.",
        f"- LQRPPGRegressor / ablation: `dim={args.dim}, epochs={args.epochs}, "
        f"quantizer_epochs={args.quantizer_epochs}, batch_size={args.batch_size}`, "
        "ablation `use_label_quantization=False`; PhysNetRegressor: "
        f"`chunk_length={CHUNK}, epochs={args.physnet_epochs}` (batch 4, lr 9e-3: its "
        f"defaults); all other parameters at their defaults; `random_state=<seed>`, "
        f"`device={args.device!r}`, {args.threads} torch threads.",
        "- truth: mean of the generator's `hr_instantaneous` over the frames scored (the "
        "covered frames of a video, the frames of a clip). HR by `estimate_hr` (detrend, "
        "band-pass 0.75-2.5 Hz, FFT peak); SNR by `snr` of the detrended, band-passed "
        "waveform around the true HR. Video: clip predictions joined by `overlap_add`; POS "
        "and CHROM run on the covered frames of the whole video (on the clips for the "
        "per-clip view) and do not depend on the label noise (same rows at every level).",
        "- reference rows: 'clean pulse' = `ppg_clean` through the same HR chain (floor of the "
        "chain); 'noisy label' = the training label of the test subjects (how wrong the target "
        "is).",
        "- MAE, RMSE in bpm, SE = standard error; pooled over the test videos (clips) of all "
        "seeds.",
    ]
    return "\n".join(lines)


def report(args, rows, fits, facts, wall_s: float, done: str, final: bool) -> None:
    frame = pd.DataFrame(rows)
    pooled_v = pooled_table(frame, "video")
    pooled_c = pooled_table(frame, "clip")
    targets = targets_table(pooled_v, pooled_c)
    fit_frame = pd.DataFrame(fits)
    status = "complete" if final else f"PARTIAL (cut short?): {done}"
    sections = [
        ("Status", f"{status}; wall time {wall_s / 60:.1f} min ({wall_s:.0f} s)."),
        ("Setting", settings_text(args, facts)),
        (f"Targets at '{TARGET_LEVEL}' (pooled over seeds; the targets are video level)", targets),
        ("Video-level HR MAE ± SE (bpm) by noise level", wide_mae(pooled_v)),
        ("Clip-level (5.3 s) HR MAE ± SE (bpm) by noise level", wide_mae(pooled_c)),
        ("Video level, all metrics", pooled_v),
        ("Clip level, all metrics", pooled_c),
        ("Video-level MAE per seed (bpm)", per_seed_mae(frame)),
    ]
    if len(fit_frame):
        sections.append(("Training (means over seeds)", training_table(fit_frame)))
    path = write_results("robustness", "Label-noise robustness on synthetic videos", sections)
    if final:
        with pd.option_context(
            "display.float_format", "{:.2f}".format, "display.width", 200, "display.max_columns", 30
        ):
            for heading, body in sections[2:]:
                print(f"\n== {heading}\n{body.to_string()}")
        print(f"\nwritten: {path}\nrows: {args.csv}", flush=True)
    else:
        log(f"results page updated ({done}): {path}")


# ------------------------------------------------------------------------------ main


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    trained = [m for m in args.methods if m in TRAINED]
    baselines = [m for m in args.methods if m in BASELINES]
    n_fits = len(args.seeds) * len(args.noise) * len(trained)
    log(
        f"preset {args.preset}: seeds {args.seeds}, {args.subjects} subjects "
        f"({args.test_subjects} test) x {args.duration:g} s at {args.size}x{args.size}, "
        f"noise {args.noise}, methods {args.methods}; dim {args.dim}, epochs {args.epochs} "
        f"(PhysNet {args.physnet_epochs}), quantizer epochs {args.quantizer_epochs}, "
        f"batch {args.batch_size}, {args.threads} threads, device {args.device}; "
        f"{n_fits} fits"
    )
    rows: list[dict] = []
    fits: list[dict] = []
    facts: dict = {}
    fs = 30.0
    fit_times: list[float] = []
    projected_once = False
    for si, seed in enumerate(args.seeds):
        t_gen = time.perf_counter()
        seed_data = make_seed_data(args, seed)
        gen_s = time.perf_counter() - t_gen
        data = seed_data["data"]
        cs = cut_set(data, seed_data["labels"])
        clips_per_video = len(cs["starts"])
        facts.update(
            clips_per_video=clips_per_video,
            n_uncovered=cs["n_uncovered"],
            covered=cs["covered"],
            n_frames=cs["n_frames"],
        )
        test_subj = split_subjects(data.subjects, args.test_subjects, seed)
        test_vid = np.flatnonzero(np.isin(data.subjects, test_subj))
        test_clip = np.flatnonzero(np.isin(data.subjects[cs["video_of"]], test_subj))
        train_clip = np.flatnonzero(~np.isin(data.subjects[cs["video_of"]], test_subj))
        groups = data.subjects[cs["video_of"]]
        v_truth = cs["video_truth"][test_vid]
        c_truth = cs["clip_truth"][test_clip]
        gap = np.max(np.abs(cs["video_truth"] - data.hr))
        log(
            f"seed {seed}: rendered {len(args.noise)} level(s) of {data.videos.shape} in "
            f"{gen_s:.1f} s (videos identical across levels); "
            f"{clips_per_video} clips/video, {cs['n_uncovered']} frames dropped per video; "
            f"test subjects {test_subj.tolist()}; true HR of test videos "
            f"{np.round(v_truth, 1).tolist()}; max |truth - generator hr| {gap:.3f} bpm"
        )

        ctx = {"vid": test_vid, "clip": test_clip, "v_truth": v_truth, "c_truth": c_truth}

        # no-training rows: the same at every noise level
        video_frames = data.videos[test_vid, : cs["covered"]]
        fixed: list[tuple[str, np.ndarray, np.ndarray]] = []
        for name in baselines:
            t1 = time.perf_counter()
            est = BASELINES[name](fs=fs)
            fixed.append((name, est.predict(video_frames), est.predict(cs["clips"][test_clip])))
            log(
                f"seed {seed}: {name} on {len(test_vid)} test videos in "
                f"{time.perf_counter() - t1:.1f} s"
            )
        clean_v = data.ppg_clean[test_vid, : cs["covered"]]
        clean_c = np.concatenate([cut_clips(p, CHUNK).clips for p in data.ppg_clean[test_vid]])
        fixed.append((REFERENCES[0], clean_v, clean_c))
        for level in args.noise:
            tag = {"seed": seed, "noise": level}
            for name, vw, cw in fixed:
                add_rows(rows, ctx, {**tag, "method": name}, vw, cw, fs)
            label = seed_data["labels"][level]
            label_c = cs["labels"][level][test_clip]
            add_rows(
                rows,
                ctx,
                {**tag, "method": REFERENCES[1]},
                label[test_vid, : cs["covered"]],
                label_c,
                fs,
            )

        for level in args.noise:
            y_train = cs["labels"][level][train_clip]
            combo_t0 = time.perf_counter()
            for name in trained:
                est = make_estimator(name, args, seed)
                t1 = time.perf_counter()
                est.fit(cs["clips"][train_clip], y_train, groups=groups[train_clip])
                fit_s = time.perf_counter() - t1
                t1 = time.perf_counter()
                pred = est.predict(cs["clips"][test_clip])
                predict_s = time.perf_counter() - t1
                info = fit_info(est, fit_s, predict_s)
                fits.append({"seed": seed, "noise": level, "method": name, **info})
                fit_times.append(fit_s)
                # video-major order: the test clips of each test video, in time order
                video_wave = join_videos(pred, len(test_vid), cs)
                add_rows(
                    rows, ctx, {"seed": seed, "noise": level, "method": name}, video_wave, pred, fs
                )
                pd.DataFrame(rows).to_csv(args.csv, index=False)
                done_rows = [
                    r
                    for r in rows
                    if r["method"] == name
                    and r["seed"] == seed
                    and r["noise"] == level
                    and r["unit"] == "video"
                ]
                err = np.nanmean([abs(r["hr_pred"] - r["hr_true"]) for r in done_rows])
                log(
                    f"seed {seed} {level:>8} {name:<8}: fit {fit_s:6.1f} s "
                    f"({info['epochs run']} epochs, {info['s/epoch']:.1f} s/epoch, best "
                    f"{info['best epoch']}, val HR MAE "
                    f"{info['val HR MAE at best']:.2f}), predict {predict_s:.1f} s; test video "
                    f"MAE {err:.2f} bpm"
                )
                if len(fit_times) == 1 and n_fits > 1:
                    guess = elapsed() + (fit_s + predict_s) * (n_fits - 1)
                    msg = (
                        f"rough projection after the first fit (all {n_fits} fits like this "
                        f"one): {guess / 60:.0f} min; budget {args.budget_minutes:g} min"
                    )
                    if guess > 60 * args.budget_minutes:
                        msg = "WARNING: " + msg + " -- lower --epochs, --seeds or --subjects"
                    log(msg)
            if not projected_once and trained:
                projected_once = True
                combo = time.perf_counter() - combo_t0
                n_combos = len(args.seeds) * len(args.noise)
                projected = elapsed() + combo * (n_combos - 1) + gen_s * (len(args.seeds) - 1)
                msg = (
                    f"projected wall time {projected / 60:.1f} min ({combo:.0f} s per seed x "
                    f"level, {n_combos} of them); budget {args.budget_minutes:g} min"
                )
                if projected > 60 * args.budget_minutes:
                    log("WARNING: " + msg + " -- lower --epochs, --seeds or --subjects")
                else:
                    log(msg)
        del seed_data, data, cs
        if si < len(args.seeds) - 1:
            done = f"{si + 1} of {len(args.seeds)} seeds"
            report(args, rows, fits, facts, elapsed(), done, final=False)

    wall = elapsed()
    log(f"done in {wall / 60:.1f} min")
    report(args, rows, fits, facts, wall, "all", final=True)


if __name__ == "__main__":
    main()
