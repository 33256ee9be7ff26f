"""Label-noise robustness on synthetic videos: LQ-rPPG against its ablation, PhysNet, POS, CHROM.

Does label quantization make training robust to noisy contact-PPG labels, and where? Per seed,
``make_synthetic_rppg`` renders one set of subjects (one video each) once per label-noise preset
('none', 'mild', 'moderate', 'severe'); the script asserts that the videos, the clean pulse and
the instantaneous heart rate do not depend on the preset, so only the contact-PPG label
differs. Subjects are split by the seed into test subjects and a training pool; the small
setting trains on the first ``--small`` subjects of the pool, the large one on all ``--large``.
Every video is cut into non-overlapping clips of the models' length (160 frames).

Label noise runs along two axes:

- **preset**: every training clip carries the label of preset 'none', 'mild', 'moderate' or
  'severe' (delay, beat-shape change, amplitude modulation, baseline wander, motion-artifact
  bursts, sensor dropouts, clipping, white noise, growing together);
- **share**: a share of the training clips (``--shares``, 0/25/50/75 %, drawn by the seed
  per setting) carries the ``--share-level`` label, the others the clean ('none') label; 0 %
  is the 'none' preset and 100 % the ``--share-level`` preset.

Trained methods (``LQRPPGRegressor``; ``ablation`` = the same with
``use_label_quantization=False``; ``PhysNetRegressor``) see the clips of their training
subjects with those labels and ``groups`` = subject ids; each holds out
``validation_fraction=0.2`` of its subjects and stops early on the validation loss (the same
rule, ``--epochs`` at most and ``--patience``, for all three). The test subjects are never
seen. POS and CHROM need no training and run once per seed.

Metrics, per test clip, against the clean truth (none of them at the floor of the HR chain):

- **HR error** (bpm): ``estimate_hr`` of the clip's prediction (160 frames, 5.3 s) against the
  mean instantaneous HR over the clip;
- **waveform correlation**: the largest Pearson correlation between the band-passed
  prediction and the band-passed clean pulse over delays of up to +-``--max-lag`` s (the
  label's own delay is 0.05-0.25 s and an rPPG waveform may lead or lag the reference);
- **IBI error** (ms): beats detected in the band-passed prediction (``scipy.signal.find_peaks``,
  at most 150 bpm) matched to the generator's beat times (after removing the median offset
  between the two), and the absolute difference of every matched inter-beat interval;
  ``IBI coverage`` is the share of true intervals matched.

For every (setting, axis, level) the per-seed mean over the test clips is computed for every
method; tables give the mean over seeds with a 95 % t-interval over seeds, and the paired
per-seed difference LQRPPG minus ablation (and every method minus POS) with its 95 %
t-interval. A difference whose interval excludes 0 is reported as helps / hurts; otherwise a
tie. Nothing is tuned on the test seeds: the settings below were fixed before the run (on
seed 100 for timing only).

Why LQ helps or not (measured, no training): (a) per noise component of the 'severe' preset
alone, how much it changes the two training losses between a perfect prediction (the clean
pulse) and the label: the frequency cross-entropy (``frequency_cross_entropy``) and the
negative Pearson term; (b) per setting and level, the waveform correlation with the clean
pulse of the raw training labels and of the pseudo labels of the fitted quantizers (coarsest
and finest level).

Default (sized to about 75 min on one core of a shared 2-core CPU, ``--threads 1``): see
``PRESETS['default']``: 16 x 16 frames, 10.7 s videos (2 clips each), LQ-rPPG / ablation
``dim=32, d_state=16``, at most 8 epochs with patience 3 and 3 quantizer epochs per level,
presets 'none', 'moderate', 'severe' ('mild' dropped) and shares 25/50/75 %, PhysNet trained
on the preset axis only (it costs about three times as much as the other two together).
The sizes were fixed from the timing of single fits on seed 100 before any benchmark seed
was run. ``--full`` is the GPU setting (128 x 128, dim 64, d_state 48, 50 epochs, patience
10, 32 s videos, every preset, PhysNet on both axes), not run here; ``--quick`` a smoke run.
``--render-only`` rewrites the page from the saved rows (``--csv`` and the ``.json`` beside
it), e.g. after the verdict in ``robustness_discussion.md`` was written.

Progress is logged with timestamps; the per-clip rows go to ``--csv`` after every fit and the
page is rewritten after every seed (marked partial until the end).

Run: ``python benchmarks/bench_robustness.py [--threads 1] [--full | --quick] [--seeds ...]``.
Writes docs/benchmarks/robustness.md and docs/benchmarks/robustness.png.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _common import FIGURE_WIDTH, elapsed, log, pyplot, save_figure, write_results
from scipy import stats
from scipy.signal import find_peaks

from lqrppg.baselines import CHROM, POS
from lqrppg.datasets import make_synthetic_rppg
from lqrppg.exceptions import EstimationWarning
from lqrppg.models import LQRPPGRegressor, PhysNetRegressor
from lqrppg.nn import frequency_cross_entropy, neg_pearson_loss
from lqrppg.signal import estimate_hr, filter_pulse, standardize
from lqrppg.video import cut_clips

FS = 30.0
CHUNK = 160
PRESET_LEVELS = ("none", "mild", "moderate", "severe")
TRAINED = ("LQRPPG", "ablation", "PhysNet")
BASELINES = {"POS": POS, "CHROM": CHROM}
METHODS = (*TRAINED, *BASELINES)
REFERENCE = "clean pulse (ref.)"
METRICS = {  # column: (label, lower is better)
    "hr_err": ("clip HR MAE (bpm)", True),
    "hr_none": ("no HR estimate (share of clips)", True),
    "corr": ("waveform r, delay-aligned", False),
    "ibi_err": ("IBI MAE (ms)", True),
    "ibi_cov": ("IBI coverage", False),
}
NOISE_COMPONENTS = (
    "delay",
    "morphology",
    "amplitude",
    "baseline",
    "artifacts",
    "dropout",
    "clipping",
    "noise",
)
DISCUSSION = Path(__file__).with_name("robustness_discussion.md")

PRESETS = {
    "default": {
        "seeds": [0, 1, 2, 3, 4],
        "test_subjects": 8,
        "small": 12,
        "large": 30,
        "duration": 320 / FS,
        "size": 16,
        "dim": 32,
        "d_state": 16,
        "epochs": 8,
        "patience": 3,
        "quantizer_epochs": 3,
        "batch_size": 8,
        "levels": ["none", "moderate", "severe"],
        "shares": [25, 50, 75],
        "physnet_axes": ["preset"],
    },
    "full": {
        "seeds": [0, 1, 2, 3, 4],
        "test_subjects": 8,
        "small": 12,
        "large": 30,
        "duration": 32.0,
        "size": 128,
        "dim": 64,
        "d_state": 48,
        "epochs": 50,
        "patience": 10,
        "quantizer_epochs": 30,
        "batch_size": 16,
        "levels": list(PRESET_LEVELS),
        "shares": [25, 50, 75],
        "physnet_axes": ["preset", "share"],
    },
    "quick": {
        "seeds": [0, 1],
        "test_subjects": 2,
        "small": 4,
        "large": 6,
        "duration": 320 / FS,
        "size": 16,
        "dim": 16,
        "d_state": 4,
        "epochs": 1,
        "patience": 1,
        "quantizer_epochs": 1,
        "batch_size": 8,
        "levels": ["none", "severe"],
        "shares": [50],
        "physnet_axes": ["preset"],
    },
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--test-subjects", type=int, help="test subjects per seed")
    parser.add_argument("--small", type=int, help="training-pool subjects, small setting")
    parser.add_argument("--large", type=int, help="training-pool subjects, large setting")
    parser.add_argument("--duration", type=float, help="seconds per video")
    parser.add_argument("--size", type=int, help="frame height = width")
    parser.add_argument("--dim", type=int, help="LQ-rPPG / ablation token width")
    parser.add_argument("--d-state", type=int, help="LQ-rPPG / ablation Mamba state size")
    parser.add_argument("--epochs", type=int, help="most epochs of every trained method")
    parser.add_argument("--patience", type=int, help="early-stopping patience (all methods)")
    parser.add_argument("--quantizer-epochs", type=int, help="per quantizer level")
    parser.add_argument("--batch-size", type=int, help="LQ-rPPG and ablation")
    parser.add_argument("--physnet-batch-size", type=int, default=4, help="PhysNet's default 4")
    parser.add_argument("--levels", nargs="+", choices=PRESET_LEVELS)
    parser.add_argument("--shares", type=int, nargs="*")
    parser.add_argument(
        "--physnet-axes",
        nargs="+",
        choices=["preset", "share"],
        help="noise axes on which PhysNet is trained (it costs most of the time)",
    )
    parser.add_argument("--share-level", choices=PRESET_LEVELS[1:], default="severe")
    parser.add_argument("--settings", nargs="+", choices=["small", "large"], default=None)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--max-lag", type=float, default=0.5, help="s, waveform alignment")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--csv",
        type=Path,
        default=Path(tempfile.gettempdir()) / "lqrppg_bench_robustness.csv",
    )
    parser.add_argument("--verbose", type=int, default=0)
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite the page and figure from the saved results of --csv (no training)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_true", help="128 x 128, 50 epochs (GPU)")
    mode.add_argument("--quick", action="store_true", help="smoke run")
    args = parser.parse_args()
    args.preset = "full" if args.full else "quick" if args.quick else "default"
    for key, value in PRESETS[args.preset].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.settings is None:
        args.settings = ["small", "large"]
    if not 2 <= args.small <= args.large:
        parser.error("need 2 <= --small <= --large")
    if round(args.duration * FS) < CHUNK:
        parser.error(f"--duration must give at least one clip of {CHUNK} frames")
    if any(not 0 < s < 100 for s in args.shares):
        parser.error("--shares are percentages strictly between 0 and 100")
    args.methods = [m for m in METHODS if m in args.methods]
    return args


def conditions(args) -> list[tuple[str, str, int]]:
    """(axis, level label, share %) of every training-label condition."""
    out = [("preset", lv, 100) for lv in PRESET_LEVELS if lv in args.levels]
    out += [("share", f"{s} %", s) for s in args.shares]
    return out


# ------------------------------------------------------------------------------ data


def render(args, seed: int) -> dict:
    """Videos, clean pulse, truths and the label of every preset for one seed's subjects."""
    n = args.test_subjects + args.large
    levels = sorted(set(args.levels) | {"none", args.share_level}, key=PRESET_LEVELS.index)
    base, labels = None, {}
    for level in levels:
        data = make_synthetic_rppg(
            n_subjects=n,
            duration=args.duration,
            frame_size=(args.size, args.size),
            label_noise=level,
            random_state=seed,
        )
        if base is None:
            base = data
        else:
            assert np.array_equal(data.videos, base.videos), "videos differ across presets"
            assert np.array_equal(data.ppg_clean, base.ppg_clean), "clean pulse differs"
            assert np.array_equal(data.hr_instantaneous, base.hr_instantaneous)
        labels[level] = data.ppg
        del data
    return {"data": base, "labels": labels}


def cut(data, labels: dict) -> dict:
    """Non-overlapping clips of every video, with labels, clean pulse and truths."""
    clips, video_of, starts = [], [], None
    for video in data.videos:
        c = cut_clips(video, CHUNK)
        clips.append(c.clips)
        video_of.append(np.full(len(c.starts), len(video_of)))
        starts = c.starts

    def per_clip(series):
        return np.concatenate([cut_clips(s, CHUNK).clips for s in series])

    hr_inst = data.hr_instantaneous
    truth = np.stack([hr_inst[:, s : s + CHUNK].mean(axis=1) for s in starts], axis=1)
    beats = []
    for i in range(len(data.videos)):
        for s in starts:
            b = np.asarray(data.beat_times[i]) - s / FS
            beats.append(b[(b >= 0) & (b < CHUNK / FS)])
    return {
        "clips": np.concatenate(clips),
        "labels": {lv: per_clip(y) for lv, y in labels.items()},
        "clean": per_clip(data.ppg_clean),
        "truth": truth.reshape(-1),
        "beats": beats,
        "video_of": np.concatenate(video_of),
        "clips_per_video": len(starts),
    }


def split(data, args, seed: int) -> dict:
    """Test subjects and the training pool (in a seeded order; small = its first subjects)."""
    rng = np.random.default_rng([seed, 2024])
    order = rng.permutation(np.unique(data.subjects))
    return {
        "test": np.sort(order[: args.test_subjects]),
        "small": np.sort(order[args.test_subjects : args.test_subjects + args.small]),
        "large": np.sort(order[args.test_subjects : args.test_subjects + args.large]),
    }


def training_labels(cs: dict, idx: np.ndarray, cond, args, seed: int, setting: str):
    """Labels of the training clips ``idx`` under a condition; the corrupted-clip mask."""
    axis, level, share = cond
    if axis == "preset":
        return cs["labels"][level][idx], np.full(idx.size, level != "none")
    rng = np.random.default_rng([seed, share, 7 if setting == "small" else 8])
    corrupted = np.zeros(idx.size, dtype=bool)
    corrupted[rng.permutation(idx.size)[: round(share / 100 * idx.size)]] = True
    y = np.where(corrupted[:, None], cs["labels"][args.share_level][idx], cs["labels"]["none"][idx])
    return y, corrupted


# ------------------------------------------------------------------------------ metrics


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*a, **k)


def _usable(wave: np.ndarray) -> np.ndarray:
    return np.all(np.isfinite(wave), axis=1) & (np.ptp(wave, axis=1) > 0)


def hr_of(wave: np.ndarray) -> np.ndarray:
    out = np.full(len(wave), np.nan)
    ok = _usable(wave)
    if ok.any():
        out[ok] = _quiet(estimate_hr, wave[ok], FS)
    return out


def _filtered(wave: np.ndarray) -> np.ndarray:
    out = np.full(wave.shape, np.nan)
    ok = _usable(wave)
    if ok.any():
        f = _quiet(filter_pulse, wave[ok], FS)
        f = f - f.mean(axis=1, keepdims=True)
        sd = f.std(axis=1, keepdims=True)
        out[ok] = np.divide(f, sd, out=np.zeros_like(f), where=sd > 0)
    return out


def aligned_corr(wave: np.ndarray, clean: np.ndarray, max_lag_s: float) -> np.ndarray:
    """Largest Pearson r between band-passed ``wave`` and ``clean`` over delays <= max_lag."""
    a, b = _filtered(wave), _filtered(clean)
    T = a.shape[1]
    best = np.full(len(a), -np.inf)
    for lag in range(-round(max_lag_s * FS), round(max_lag_s * FS) + 1):
        x = a[:, max(lag, 0) : T + min(lag, 0)]
        y = b[:, max(-lag, 0) : T + min(-lag, 0)]
        xc, yc = x - x.mean(1, keepdims=True), y - y.mean(1, keepdims=True)
        den = np.sqrt((xc**2).sum(1) * (yc**2).sum(1))
        r = np.divide((xc * yc).sum(1), den, out=np.full(len(a), np.nan), where=den > 0)
        best = np.fmax(best, r)
    best[~np.isfinite(best)] = np.nan
    return best


def ibi_errors(wave: np.ndarray, beats: list) -> tuple[np.ndarray, np.ndarray]:
    """Per clip: mean |IBI error| (ms) of matched intervals and the share matched."""
    f = _filtered(wave)
    err, cov = np.full(len(f), np.nan), np.full(len(f), np.nan)
    for i, (x, true) in enumerate(zip(f, beats, strict=True)):
        if len(true) < 2:
            continue
        cov[i] = 0.0
        if not np.all(np.isfinite(x)):
            continue
        peaks, _ = find_peaks(x, distance=int(FS * 60 / 150), prominence=0.5)
        if len(peaks) < 2:
            continue
        p = peaks / FS
        nearest = true[np.argmin(np.abs(p[:, None] - true[None, :]), axis=1)]
        offset = np.median(p - nearest)
        q = p - offset
        ibi = np.diff(true)
        matched = []
        for k in range(len(true) - 1):
            tol = 0.25 * ibi[k]
            j0 = np.flatnonzero(np.abs(q - true[k]) <= tol)
            j1 = np.flatnonzero(np.abs(q - true[k + 1]) <= tol)
            if j0.size == 1 and j1.size == 1 and j1[0] == j0[0] + 1:
                matched.append(abs((q[j1[0]] - q[j0[0]]) - ibi[k]))
        cov[i] = len(matched) / len(ibi)
        if matched:
            err[i] = 1000 * float(np.mean(matched))
    return err, cov


def score(wave: np.ndarray, cs: dict, idx: np.ndarray, args) -> dict:
    ibi, cov = ibi_errors(wave, [cs["beats"][i] for i in idx])
    hr = hr_of(wave)
    return {
        "hr_err": np.abs(hr - cs["truth"][idx]),
        "hr_none": np.isnan(hr).astype(float),
        "corr": aligned_corr(wave, cs["clean"][idx], args.max_lag),
        "ibi_err": ibi,
        "ibi_cov": cov,
    }


# ------------------------------------------------------------------------------ methods


def make_estimator(name: str, args, seed: int):
    common = {
        "fs": FS,
        "chunk_length": CHUNK,
        "epochs": args.epochs,
        "early_stopping": True,
        "patience": args.patience,
        "validation_fraction": 0.2,
        "device": args.device,
        "num_threads": args.threads,
        "random_state": seed,
        "verbose": args.verbose,
    }
    if name == "PhysNet":
        return PhysNetRegressor(batch_size=args.physnet_batch_size, **common)
    return LQRPPGRegressor(
        dim=args.dim,
        d_state=args.d_state,
        quantizer_epochs=args.quantizer_epochs,
        batch_size=args.batch_size,
        use_label_quantization=name == "LQRPPG",
        **common,
    )


def pseudo_label_quality(est, y: np.ndarray, clean: np.ndarray, args) -> dict:
    """Delay-aligned r with the clean pulse of the raw labels and of the pseudo labels."""
    lq = est.label_quantizer_
    pseudo = lq.pseudo_labels(y)
    return {
        "raw label": np.nanmean(aligned_corr(y, clean, args.max_lag)),
        "pseudo, coarsest": np.nanmean(aligned_corr(pseudo[:, 0], clean, args.max_lag)),
        "pseudo, finest": np.nanmean(aligned_corr(pseudo[:, -1], clean, args.max_lag)),
    }


# ------------------------------------------------------------------------------ noise analysis


def _label_clips(duration: float, label_noise) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The labels of :func:`component_losses` and :func:`loss_scale`, in CHUNK-frame clips.

    24 subjects of seed 100, 8 x 8 frames, no motion or illumination change, ``label_noise`` a
    preset or its parameters. Returns the label clips, the clean pulse's clips and the true HR
    of each clip (the mean of the instantaneous HR).
    """
    data = make_synthetic_rppg(
        n_subjects=24,
        duration=duration,
        frame_size=(8, 8),
        label_noise=label_noise,
        motion="none",
        illumination="none",
        random_state=100,
    )

    def clips(series):
        return np.concatenate([cut_clips(v, CHUNK).clips for v in series])

    return clips(data.ppg), clips(data.ppg_clean), clips(data.hr_instantaneous).mean(axis=1)


def _head_losses(pred: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """LQ-rPPG's two head losses, frequency CE and 1 - r, of clips ``pred`` for ``target``
    (both standardised per clip, float32, as in training)."""
    pt = torch.from_numpy(standardize(pred).astype(np.float32))
    yt = torch.from_numpy(standardize(target).astype(np.float32))
    with torch.no_grad():
        return float(frequency_cross_entropy(pt, yt, FS)), float(neg_pearson_loss(pt, yt))


def component_losses(args) -> pd.DataFrame:
    """Each 'severe' label-noise component alone: how much it changes the training losses.

    24 subjects of seed 100 (not a benchmark seed), no motion or light change (the video is
    not used). Between a perfect prediction (the clean pulse) and the label of every
    160-frame clip: the frequency cross-entropy (45-149 bpm) and 1 - Pearson r, the two
    terms of the loss, averaged over the clips, and how far each rises above its value for
    the clean label ('none'); also the label's own HR error and delay-aligned r with the
    clean pulse.
    """
    severe = make_synthetic_rppg(
        n_subjects=1, duration=1.0, frame_size=(8, 8), label_noise="severe", random_state=0
    ).label_noise
    none = make_synthetic_rppg(
        n_subjects=1, duration=1.0, frame_size=(8, 8), label_noise="none", random_state=0
    ).label_noise
    keys = {
        "delay": ["delay"],
        "morphology": ["morphology"],
        "amplitude": ["amplitude"],
        "baseline": ["baseline"],
        "artifacts": ["artifact_rate", "artifact_amplitude"],
        "dropout": ["dropout_rate"],
        "clipping": ["clipping"],
        "noise": ["noise"],
    }
    rows = []
    for name in ("none", *NOISE_COMPONENTS, "all (severe)"):
        params = dict(severe) if name == "all (severe)" else dict(none)
        for k in keys.get(name, []):
            params[k] = severe[k]
        y, clean, truth = _label_clips(args.duration, params)
        keep = _usable(y)
        ce, npl = _head_losses(clean[keep], y[keep])
        rows.append(
            {
                "component": name,
                "frequency CE": ce,
                "1 - r": npl,
                "label HR MAE (bpm)": float(np.nanmean(np.abs(hr_of(y) - truth))),
                "label r vs clean (aligned)": float(np.nanmean(aligned_corr(y, clean, 0.5))),
                "constant clips": int((~keep).sum()),
            }
        )
    frame = pd.DataFrame(rows).set_index("component")
    frame.insert(1, "Δ frequency CE", frame["frequency CE"] - frame.loc["none", "frequency CE"])
    frame.insert(3, "Δ (1 - r)", frame["1 - r"] - frame.loc["none", "1 - r"])
    return frame


def loss_scale(args) -> pd.DataFrame:
    """How far the training loss can move at all: predictions from perfect to random.

    24 subjects of seed 100 (as :func:`component_losses`), 160-frame clips of the clean pulse
    ('none') and of the 'severe' label as targets. Predictions: the clean pulse itself, the
    target itself, a sinusoid at the clip's true HR + 20 bpm and white noise (seeded). The
    loss of LQ-rPPG per head is ``frequency CE + 0.2 (1 - r)`` (its defaults); five heads.
    """
    rows = []
    for target_level in ("none", "severe"):
        y, clean, truth = _label_clips(args.duration, target_level)
        t = np.arange(CHUNK) / FS
        preds = {
            "clean pulse": clean,
            "the target itself": y,
            "sinusoid at true HR + 20 bpm": np.sin(2 * np.pi * (truth[:, None] + 20) / 60 * t),
            "white noise": np.random.default_rng(100).standard_normal(y.shape),
        }
        keep = _usable(y)
        for name, pred in preds.items():
            ce, npl = _head_losses(pred[keep], y[keep])
            rows.append(
                {
                    "target": f"label '{target_level}'",
                    "prediction": name,
                    "frequency CE": ce,
                    "1 - r": npl,
                    "loss per head": ce + 0.2 * npl,
                }
            )
    return pd.DataFrame(rows).set_index(["target", "prediction"])


# ------------------------------------------------------------------------------ tables


def _ci(values: np.ndarray) -> tuple[float, float, int]:
    """Mean and half-width of the 95 % t-interval over the finite values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan, 0
    if v.size == 1:
        return float(v[0]), math.nan, 1
    half = stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
    return float(v.mean()), float(half), int(v.size)


def per_seed(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean over the test clips of every metric, per seed, setting, condition and method."""
    keys = ["setting", "axis", "level", "method", "seed"]
    return rows.groupby(keys, sort=False)[list(METRICS)].mean().reset_index()


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    shares = {lv for lv in frame["level"] if lv.endswith("%")}
    levels = [*PRESET_LEVELS, *sorted(shares, key=lambda s: int(s.split()[0]))]
    frame = frame.copy()
    frame["level"] = pd.Categorical(frame["level"], levels, ordered=True)
    frame["setting"] = pd.Categorical(frame["setting"], ["small", "large"], ordered=True)
    frame["axis"] = pd.Categorical(frame["axis"], ["preset", "share"], ordered=True)
    if "method" in frame:
        meth = [m for m in (*METHODS, REFERENCE) if m in set(frame["method"])]
        frame["method"] = pd.Categorical(frame["method"], meth, ordered=True)
    return frame


def summary_table(seeds: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean ± 95 % CI over seeds: rows (setting, axis, level), columns methods."""
    out = []
    for (setting, axis, level, method), grp in seeds.groupby(
        ["setting", "axis", "level", "method"], sort=False
    ):
        m, h, n = _ci(grp[metric].to_numpy())
        cell = "n/a" if n == 0 else f"{m:.2f} ± {h:.2f}" if n > 1 else f"{m:.2f}"
        out.append({"setting": setting, "axis": axis, "level": level, "method": method, "v": cell})
    frame = _order(pd.DataFrame(out))
    wide = frame.pivot_table(
        index=["setting", "axis", "level"],
        columns="method",
        values="v",
        aggfunc="first",
        observed=True,
    )
    return _flat(wide.fillna("not trained"))


def paired_table(seeds: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Per-seed paired difference ``a - b`` of every metric, mean ± 95 % CI and verdict."""
    rows = []
    for (setting, axis, level), grp in seeds.groupby(["setting", "axis", "level"], sort=False):
        # not pivot_table: it drops a method whose metric is NaN on every seed
        wide = grp.set_index(["seed", "method"])[list(METRICS)].unstack("method")
        if a not in wide.columns.get_level_values(1) or b not in wide.columns.get_level_values(1):
            continue
        row = {"setting": setting, "axis": axis, "level": level}
        for metric, (label, lower_better) in METRICS.items():
            d = (wide[(metric, a)] - wide[(metric, b)]).to_numpy()
            m, h, n = _ci(d)
            row[label] = f"{m:+.2f} ± {h:.2f}" if n > 1 else "n/a"
            if metric == "hr_err":
                row["seeds"] = n
                if n > 1 and np.isfinite(h):
                    better = (m + h < 0) if lower_better else (m - h > 0)
                    worse = (m - h > 0) if lower_better else (m + h < 0)
                    row["HR verdict"] = (
                        f"{a} better" if better else f"{a} worse" if worse else "tie"
                    )
            if metric == "corr" and n > 1 and np.isfinite(h):
                row["r verdict"] = (
                    f"{a} better" if m - h > 0 else f"{a} worse" if m + h < 0 else "tie"
                )
        rows.append(row)
    return _flat(
        _order(pd.DataFrame(rows))
        .sort_values(["setting", "axis", "level"])
        .set_index(["setting", "axis", "level"])
    )


def _share_axis(frame: pd.DataFrame, args) -> pd.DataFrame:
    """The share axis with its ends: 0 % is the 'none' preset, 100 % the share level's preset.

    An end is added only for the methods trained on the share axis (and the fixed rows).
    """
    share = frame[frame.axis == "share"]
    ends = []
    for preset, label in (("none", "0 %"), (args.share_level, "100 %")):
        end = frame[
            (frame.axis == "preset")
            & (frame.level == preset)
            & frame.method.isin(set(share.method))
        ].copy()
        end["axis"], end["level"] = "share", label
        ends.append(end)
    return pd.concat([ends[0], share, ends[1]], ignore_index=True)


def figure(seeds: pd.DataFrame, args) -> str:
    """Clip HR MAE and waveform r against label noise, per method, with 95 % intervals."""
    plt = pyplot()
    frame = seeds.astype({"level": str, "axis": str, "setting": str, "method": str})
    settings = [s for s in ("small", "large") if s in set(frame["setting"])]
    axes_names = [a for a in ("preset", "share") if a in set(frame["axis"])]
    panels = [(metric, axis) for metric in ("hr_err", "corr") for axis in axes_names]
    fig, axes = plt.subplots(
        len(panels),
        len(settings),
        figsize=(FIGURE_WIDTH, 2.9 * len(panels)),
        squeeze=False,
        sharey="row",
    )
    styles = {
        "LQRPPG": ("C0", "o"),
        "ablation": ("C1", "s"),
        "PhysNet": ("C2", "^"),
        "POS": ("C3", "v"),
        "CHROM": ("C4", "D"),
    }
    for col, setting in enumerate(settings):
        for row, (metric, axis) in enumerate(panels):
            ax = axes[row, col]
            sub = frame[frame.setting == setting]
            sub = _share_axis(sub, args) if axis == "share" else sub[sub.axis == "preset"]
            if axis == "share":
                levels = ["0 %", *(f"{s} %" for s in args.shares), "100 %"]
            else:
                levels = [lv for lv in PRESET_LEVELS if lv in set(sub["level"])]
            methods = [m for m in METHODS if m in set(sub["method"])]
            for k, method in enumerate(methods):
                xs, means, halves = [], [], []
                for i, lv in enumerate(levels):
                    v = sub[(sub.method == method) & (sub.level == lv)][metric].to_numpy()
                    m, h, n = _ci(v)
                    if n:
                        xs.append(i + (k - (len(methods) - 1) / 2) * 0.07)
                        means.append(m)
                        halves.append(h if np.isfinite(h) else 0.0)
                colour, marker = styles[method]
                ax.errorbar(
                    xs,
                    means,
                    yerr=halves,
                    color=colour,
                    marker=marker,
                    capsize=3,
                    ms=4,
                    lw=1.2,
                    label=method,
                )
            ax.set_xticks(range(len(levels)), levels)
            xlabel = (
                "label-noise preset (every training clip)"
                if axis == "preset"
                else f"share of training clips with the '{args.share_level}' label"
            )
            ax.set_xlabel(xlabel)
            ax.set_title(f"{setting} training set")
            if col == 0:
                ax.set_ylabel(METRICS[metric][0])
            if metric == "hr_err":
                ax.set_yscale("log")
            ax.grid(alpha=0.3)
    axes[0, 0].legend(ncol=len(METHODS), fontsize=8, loc="upper left")
    fig.tight_layout()
    return save_figure(
        fig,
        "robustness",
        "Clip-level HR MAE (log scale) and delay-aligned waveform r against label noise, per "
        "method and training-set size: mean over seeds, bars the 95 % t-interval over seeds.",
    )


def _n_val(subjects: int, facts: dict) -> int:
    """Validation subjects of a pool: whole subjects until floor(0.2 n_clips) clips."""
    per = facts.get("clips_per_video") or 1
    return math.ceil(math.floor(0.2 * subjects * per + 1e-9) / per)


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """One readable row label 'setting / axis: level' instead of a tuple index."""
    frame = frame.copy()
    frame.index = [f"{s} / {a}: {lv}" for s, a, lv in frame.index]
    frame.index.name = "training set / label noise"
    return frame


def settings_text(args, facts: dict) -> str:
    n_small, n_large = (
        facts.get("train_clips", {}).get("small"),
        facts.get("train_clips", {}).get("large"),
    )
    return "\n".join(
        [
            f"- preset `{args.preset}`; seeds {args.seeds}; settings {args.settings}; methods "
            f"{args.methods}; {args.threads} torch thread(s), device {args.device!r}.",
            f"- data per seed: `make_synthetic_rppg(n_subjects={args.test_subjects + args.large}, "
            f"duration={args.duration:.3g}, frame_size=({args.size}, {args.size}), "
            "label_noise=<preset>, random_state=<seed>)` (30 fps, motion and light 'mild'), "
            f"{facts.get('clips_per_video')} clips of {CHUNK} frames per video; videos, clean "
            "pulse and HR asserted identical across presets.",
            f"- split per seed: {args.test_subjects} test subjects; training pool of "
            f"{args.small} (small, {n_small} clips) or {args.large} (large, {n_large} clips) "
            "subjects, the small pool the first subjects of the large one; each trained method "
            "holds out whole subjects for validation (`validation_fraction=0.2` of the clips: "
            f"{_n_val(args.small, facts)} subjects of the small pool, "
            f"{_n_val(args.large, facts)} of the large one), so it trains on "
            f"{args.small - _n_val(args.small, facts)} (small) or "
            f"{args.large - _n_val(args.large, facts)} (large) subjects.",
            f"- label conditions: presets {args.levels} on every training clip; shares "
            f"{args.shares} % of the training clips with the '{args.share_level}' label, the "
            "others clean. PhysNet is trained on the "
            f"{' and '.join(args.physnet_axes)} axis only.",
            f"- LQRPPGRegressor / ablation: `dim={args.dim}, d_state={args.d_state}, "
            f"n_blocks=4, levels=(2, 4, 8, 16, 32), batch_size={args.batch_size}, "
            f"quantizer_epochs={args.quantizer_epochs}`; PhysNetRegressor: "
            f"`batch_size={args.physnet_batch_size}` (lr 9e-3, its default); all three: "
            f"`epochs={args.epochs}, early_stopping=True, patience={args.patience}`, "
            "validation_fraction 0.2 by subject (the validation labels carry the same noise), "
            "the best validation epoch kept, augmentation on, other parameters at their "
            "defaults, `random_state=<seed>`.",
            "- metrics per test clip against the clean truth (see the script's docstring); "
            "tables: mean over seeds of the per-seed mean over test clips, ± the half-width "
            "of the 95 % t-interval over seeds. Clips without an HR estimate (NaN) are left "
            "out of the HR MAE and counted in 'no HR estimate'; clips without a matched "
            "interval are left out of the IBI MAE and counted in the IBI coverage.",
        ]
    )


def report(args, state: dict) -> Path:
    rows, fits, quality = state["rows"], state["fits"], state["quality"]
    components = state["components"]
    frame = pd.DataFrame(rows)
    seeds = per_seed(frame)
    done, final = state["seeds_done"], state["final"]
    status = (
        f"complete: {len(done)} of {len(args.seeds)} seeds"
        if final
        else f"PARTIAL: {len(done)} of {len(args.seeds)} seeds completed ({done})"
    )
    sections = [
        ("Status", f"{status}; wall time {state['wall'] / 60:.1f} min ({state['wall']:.0f} s)."),
        ("Setting", settings_text(args, state["facts"])),
    ]
    if DISCUSSION.exists():
        sections.append(("Verdict and discussion", DISCUSSION.read_text().strip()))
    if len(frame):
        sections.append(("Figure", figure(seeds, args)))
    if all(m in args.methods for m in ("LQRPPG", "ablation")):
        sections.append(
            (
                "Paired per-seed difference LQRPPG minus ablation (95 % CI)",
                paired_table(seeds, "LQRPPG", "ablation"),
            )
        )
    if "POS" in args.methods:
        for m in ("LQRPPG", "ablation", "PhysNet", "CHROM"):
            if m in args.methods:
                sections.append(
                    (
                        f"Paired per-seed difference {m} minus POS (95 % CI)",
                        paired_table(seeds, m, "POS"),
                    )
                )
    for metric, (label, lower) in METRICS.items():
        sections.append(
            (
                f"{label} ({'lower' if lower else 'higher'} is better), mean ± 95 % CI over seeds",
                summary_table(seeds, metric),
            )
        )
    if components is not None:
        sections.append(
            (
                "Which label-noise components the losses see (seed 100, no training)",
                pd.DataFrame(components).set_index("component"),
            )
        )
    if state.get("loss_scale") is not None:
        scale = pd.DataFrame(state["loss_scale"])
        scale.index = [
            f"{t} / {p}" for t, p in zip(scale["target"], scale["prediction"], strict=True)
        ]
        scale.index.name = "target / prediction"
        sections.append(
            (
                "How far the loss can move: predictions from perfect to random "
                "(seed 100, no training)",
                scale.drop(columns=["target", "prediction"]),
            )
        )
    if quality:
        q = pd.DataFrame(quality)
        q = (
            _order(q)
            .groupby(["setting", "axis", "level"], observed=True)[
                ["raw label", "pseudo, coarsest", "pseudo, finest"]
            ]
            .mean()
            .pipe(_flat)
        )
        sections.append(
            (
                "Training labels vs pseudo labels: delay-aligned r with the clean pulse "
                "(training clips, mean over clips and seeds)",
                q,
            )
        )
    if fits:
        f = _order(pd.DataFrame(fits))
        sections.append(
            (
                "Training (means over seeds and conditions)",
                f.groupby(["setting", "method"], observed=True)[
                    ["fit s", "epochs run", "best epoch", "stopped early"]
                ]
                .mean()
                .pipe(lambda t: t.set_axis([f"{a} / {b}" for a, b in t.index], axis=0)),
            )
        )
    return write_results(
        "robustness",
        "Label-noise robustness on synthetic videos",
        sections,
        command=state["command"],
    )


def _state_path(args) -> Path:
    return args.csv.with_suffix(".json")


def save_state(args, state: dict) -> None:
    pd.DataFrame(state["rows"]).to_csv(args.csv, index=False)
    rest = {k: v for k, v in state.items() if k != "rows"}
    _state_path(args).write_text(json.dumps(rest, default=float))


def load_state(args) -> dict:
    state = json.loads(_state_path(args).read_text())
    state["rows"] = pd.read_csv(args.csv).to_dict("records")
    saved = argparse.Namespace(**state["args"])
    saved.csv = args.csv
    return saved, state


# ------------------------------------------------------------------------------ main


def main() -> None:
    args = parse_args()
    if args.render_only:
        saved, state = load_state(args)
        if state.get("loss_scale") is None:  # deterministic, no training: runs on its own
            state["loss_scale"] = loss_scale(saved).reset_index().to_dict("records")
            save_state(saved, state)
        log(f"page rewritten from {args.csv}: {report(saved, state)}")
        return
    torch.set_num_threads(args.threads)
    conds = conditions(args)
    trained = [m for m in args.methods if m in TRAINED]

    def trains(name, axis):
        return name != "PhysNet" or axis in args.physnet_axes

    n_fits = (
        len(args.seeds)
        * len(args.settings)
        * sum(trains(name, axis) for axis, _, _ in conds for name in trained)
    )
    log(
        f"preset {args.preset}: {len(args.seeds)} seeds x {args.settings} x {len(conds)} label "
        f"conditions x {trained} (PhysNet on {args.physnet_axes}): {n_fits} fits"
    )
    components = component_losses(args)
    log("noise components:\n" + components.round(3).to_string())
    state = {
        "command": "python " + " ".join(["benchmarks/bench_robustness.py", *sys.argv[1:]]),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "rows": [],
        "fits": [],
        "quality": [],
        "components": components.reset_index().to_dict("records"),
        "loss_scale": loss_scale(args).reset_index().to_dict("records"),
        "facts": {"train_clips": {}},
        "seeds_done": [],
        "final": False,
        "wall": 0.0,
    }
    rows, fits, quality, facts = state["rows"], state["fits"], state["quality"], state["facts"]
    t_fit = []
    for si, seed in enumerate(args.seeds):
        t0 = time.perf_counter()
        rendered = render(args, seed)
        data = rendered["data"]
        cs = cut(data, rendered["labels"])
        facts["clips_per_video"] = cs["clips_per_video"]
        parts = split(data, args, seed)
        subj = data.subjects[cs["video_of"]]
        test = np.flatnonzero(np.isin(subj, parts["test"]))
        log(
            f"seed {seed}: rendered in {time.perf_counter() - t0:.0f} s; test subjects "
            f"{parts['test'].tolist()}, {test.size} test clips"
        )

        def add(method, wave, setting, axis, level, cs=cs, test=test, seed=seed):
            s = score(wave, cs, test, args)
            for j, i in enumerate(test):
                rows.append(
                    {
                        "seed": seed,
                        "setting": setting,
                        "axis": axis,
                        "level": level,
                        "method": method,
                        "clip": int(i),
                        **{k: float(v[j]) for k, v in s.items()},
                    }
                )

        fixed = [(REFERENCE, cs["clean"][test])]
        for name in args.methods:
            if name in BASELINES:
                fixed.append((name, BASELINES[name](fs=FS).predict(cs["clips"][test])))
        for setting in args.settings:
            train = np.flatnonzero(np.isin(subj, parts[setting]))
            facts["train_clips"][setting] = int(train.size)
            for axis, level, share in conds:
                for name, wave in fixed:
                    add(name, wave, setting, axis, level)
                y, _ = training_labels(cs, train, (axis, level, share), args, seed, setting)
                for name in trained:
                    if not trains(name, axis):
                        continue
                    est = make_estimator(name, args, seed)
                    t1 = time.perf_counter()
                    est.fit(cs["clips"][train], y, groups=subj[train])
                    fit_s = time.perf_counter() - t1
                    t_fit.append(fit_s)
                    add(name, est.predict(cs["clips"][test]), setting, axis, level)
                    fits.append(
                        {
                            "seed": seed,
                            "setting": setting,
                            "axis": axis,
                            "level": level,
                            "method": name,
                            "fit s": fit_s,
                            "epochs run": len(est.history_),
                            "best epoch": est.best_epoch_,
                            "stopped early": float(est.stopped_early_),
                        }
                    )
                    if name == "LQRPPG":
                        q = pseudo_label_quality(est, y, cs["clean"][train], args)
                        quality.append(
                            {"setting": setting, "axis": axis, "level": level, "seed": seed, **q}
                        )
                    done = len(t_fit)
                    log(
                        f"seed {seed} {setting:>5} {axis:>6} {level:>8} {name:<8} fit "
                        f"{fit_s:5.0f} s ({len(est.history_)} epochs, best {est.best_epoch_}); "
                        f"{done}/{n_fits} fits, projected total "
                        f"{elapsed() / done * n_fits / 60:.0f} min"
                    )
        state["seeds_done"].append(seed)
        state["final"] = si == len(args.seeds) - 1
        state["wall"] = elapsed()
        save_state(args, state)
        path = report(args, state)
        log(f"page {'written' if state['final'] else 'updated'}: {path}")
    log(f"done in {elapsed() / 60:.1f} min; rows: {args.csv}, state: {_state_path(args)}")


if __name__ == "__main__":
    main()
