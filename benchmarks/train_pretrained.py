"""Train the pretrained LQ-rPPG weights shipped in the package, evaluate them, write the card.

Training set (``make_synthetic_rppg``, one seed): eight groups of subjects, every
combination of the four label-noise presets ('none', 'mild', 'moderate', 'severe') with two
recording conditions ('mild' or 'moderate' head motion and light changes), each group its
own subjects (distinct ``subject_offset``), so that the set spans all skin types
(Fitzpatrick I-VI), base heart rates of 45-150 bpm, the generator's per-subject beat shapes
(systolic, dicrotic and diastolic waves, respiratory and beat-to-beat variation), pulse
amplitudes of 0.1-0.5 % and every label-noise level. Each video is cut into non-overlapping
160-frame clips; :class:`lqrppg.LQRPPGRegressor` is fitted on them with the subjects as
groups (a fifth of the subjects held out to pick the best epoch).

Evaluation set: held-out subjects (``subject_offset`` far from the training ones) rendered
under each condition; the videos do not depend on the label noise (asserted), so the model,
POS and CHROM predict them once per condition. Per video (32 s; the clip predictions joined
by ``lqrppg.pipeline.predict_recording``; POS and CHROM on the whole video) the HR by
``estimate_hr`` at its defaults (the robust chain over ``HR_BAND``, 40-180 bpm) is compared
with

- the clean pulse's HR (the mean of the generator's instantaneous HR over the video), and
- the HR of the contact-PPG label at each noise level, as a real dataset's reference is.

Outputs: the weights (``lqrppg/models/weights/lqrppg_synthetic_32px.pt`` by default), the
model card next to them (``MODEL_CARD.md``, which ``docs/model_card.md`` includes), the
results page ``docs/benchmarks/pretrained.md`` and its figure ``docs/benchmarks/pretrained.png``
(per held-out video, the HR of the weights' prediction, and of POS and CHROM, against the
clean pulse's HR; the weights' Bland-Altman plot), which the card links too. The figure is
not shipped in the package: the card links it by its path in the documentation, where the
card is shown (the packaged card names the file). The weights are a function of the seed, the
settings and the machine's arithmetic: the same command on the same machine with the same
``--threads`` gives the same learned values (the card records their SHA-256; the file's bytes
also hold the epochs' wall-clock times).

Run: ``python benchmarks/train_pretrained.py [--seed 0] [--subjects 20] [--test-subjects 10]
[--epochs 30] [--size 32] [--threads 2] [--out PATH] [--evaluate-only] [--quick]``.
``--quick`` is a smoke run (tiny, 1 epoch) that writes to a temporary folder and leaves the
shipped files alone.

``--evaluate-only`` trains nothing and leaves the weights file alone: it loads the shipped
weights (``LQRPPGRegressor.pretrained()``, or the file given by ``--out``), runs the same
evaluation as a full run (same held-out subjects, same code) and rewrites the card, the page
and the figure. The training set is rendered again only to describe it on the card (its
frames are not kept). The card's training configuration (``--seed``, ``--epochs``,
``--quantizer-epochs``, ``--patience``, ``--dim``, ``--threads``, ``--size``) is read from the
loaded model; a flag that contradicts the model is an error. ``--subjects`` and
``--duration`` must be those of the training run (the defaults are). The shipped weights'
card, page and figure are refreshed with ``python benchmarks/train_pretrained.py
--evaluate-only`` (about 1.5 min on two shared cores); with ``--quick`` the same is done on
two subjects per set into a temporary folder.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _common import (
    FIGURE_WIDTH,
    REPO,
    RESULTS,
    figure_markdown,
    log,
    machine,
    pyplot,
    save_figure,
    write_results,
)

from lqrppg.baselines import CHROM, POS
from lqrppg.datasets import make_synthetic_rppg
from lqrppg.exceptions import EstimationWarning
from lqrppg.metrics import evaluate_hr
from lqrppg.models import PRETRAINED, LQRPPGRegressor, pretrained_path
from lqrppg.pipeline import predict_recording
from lqrppg.plotting import plot_bland_altman
from lqrppg.signal import HR_BAND, estimate_hr
from lqrppg.video import cut_clips

NAME = "synthetic-32"
#: The clean pulse through the same HR chain: the floor of the evaluation, not a method.
REF = "clean pulse (ref.)"
CHUNK = 160
FS = 30.0
NOISE = ("none", "mild", "moderate", "severe")
CONDITIONS = ("mild", "moderate")  # head motion and illumination presets
TRAIN_OFFSET = 1000  # subject ids of group g: g * TRAIN_OFFSET + k
TEST_OFFSET = 100_000
WEIGHTS = REPO / "lqrppg" / "models" / "weights"


#: The method row of the shipped (or evaluated) weights in the tables.
MODEL = "LQ-rPPG (shipped)"
#: Settings of a training run, and the estimator parameter that holds each one in a fitted model
#: (``size`` is read from ``frame_shape_``). ``--evaluate-only`` takes them from the model.
TRAIN_DEFAULTS = {
    "seed": 0,
    "size": 32,
    "dim": 64,
    "epochs": 30,
    "quantizer_epochs": 30,
    "patience": 8,
    "threads": 2,
}
MODEL_PARAMS = {
    "seed": "random_state",
    "dim": "dim",
    "epochs": "epochs",
    "quantizer_epochs": "quantizer_epochs",
    "patience": "patience",
    "threads": "num_threads",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    d = TRAIN_DEFAULTS
    parser.add_argument("--seed", type=int, default=None, help=f"({d['seed']})")
    parser.add_argument("--subjects", type=int, default=20, help="per training group (8 groups)")
    parser.add_argument("--test-subjects", type=int, default=10, help="per condition")
    parser.add_argument("--duration", type=float, default=32.0, help="seconds per video")
    parser.add_argument(
        "--size", type=int, default=None, help=f"frame height = width ({d['size']})"
    )
    parser.add_argument("--dim", type=int, default=None, help=f"({d['dim']})")
    parser.add_argument("--epochs", type=int, default=None, help=f"({d['epochs']})")
    parser.add_argument(
        "--quantizer-epochs", type=int, default=None, help=f"({d['quantizer_epochs']})"
    )
    parser.add_argument("--patience", type=int, default=None, help=f"({d['patience']})")
    parser.add_argument(
        "--threads", type=int, default=None, help=f"torch CPU threads ({d['threads']})"
    )
    parser.add_argument("--out", type=Path, default=None, help="weights file to write")
    parser.add_argument(
        "--evaluate-only",
        action="store_true",
        help="train nothing: evaluate the shipped weights (or --out) and rewrite card and page",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run into a temp folder")
    return parser


def parse_args(argv=None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.tmp = Path(tempfile.mkdtemp(prefix="lqrppg-pretrained-")) if args.quick else None
    if args.quick:
        args.subjects, args.test_subjects = 2, 2
    # --evaluate-only without --out evaluates what LQRPPGRegressor.pretrained() loads.
    args.shipped = args.evaluate_only and args.out is None
    if args.out is None:
        folder = args.tmp if args.quick and not args.evaluate_only else WEIGHTS
        args.out = folder / PRETRAINED[NAME]["file"]
    args.card = args.tmp / "MODEL_CARD.md" if args.quick else args.out.parent / "MODEL_CARD.md"
    if not args.evaluate_only:
        for flag, value in TRAIN_DEFAULTS.items():
            if getattr(args, flag) is None:
                setattr(args, flag, value)
        if args.quick:
            args.epochs, args.quantizer_epochs = 1, 1
    return parser, args


def settings_from_model(parser, args, model: LQRPPGRegressor) -> None:
    """Fill the training settings of ``args`` from a fitted model; refuse contradicting flags."""
    params = model.get_params()
    found = {flag: params[name] for flag, name in MODEL_PARAMS.items()}
    height, width = model.frame_shape_
    if height != width:
        parser.error(f"{args.out}: frames of {height}x{width}; this script makes square frames")
    found["size"] = height
    for flag, value in found.items():
        given = getattr(args, flag)
        if given is not None and given != value:
            parser.error(
                f"--{flag.replace('_', '-')} {given} contradicts the evaluated weights "
                f"({args.out}: {value}); with --evaluate-only it is read from the model"
            )
        setattr(args, flag, value)


def render(args, n: int, offset: int, noise: str, condition: str):
    return make_synthetic_rppg(
        n_subjects=n,
        duration=args.duration,
        fs=FS,
        frame_size=(args.size, args.size),
        label_noise=noise,
        motion=condition,
        illumination=condition,
        subject_offset=offset,
        random_state=args.seed,
    )


def training_set(args, *, arrays: bool = True):
    """Clips, labels, groups and a table of the groups; ``arrays=False``: the table only."""
    X, y, groups, facts = [], [], [], []
    for g, (noise, cond) in enumerate((nz, c) for nz in NOISE for c in CONDITIONS):
        offset = (g + 1) * TRAIN_OFFSET
        data = render(args, args.subjects, offset, noise, cond)
        if arrays:
            cuts = [
                cut_clips(v, CHUNK, labels=p) for v, p in zip(data.videos, data.ppg, strict=True)
            ]
            n_clips = len(cuts[0].starts)
            X.append(np.concatenate([c.clips for c in cuts]))
            y.append(np.concatenate([c.labels for c in cuts]))
            groups.append(np.repeat(data.subjects, n_clips))
        else:
            n_clips = len(cut_clips(data.videos[0], CHUNK).starts)
        facts.append(
            {
                "label noise": noise,
                "motion, light": cond,
                "subjects": args.subjects,
                "clips": args.subjects * n_clips,
                "HR range (bpm)": f"{data.hr.min():.0f}-{data.hr.max():.0f}",
                "skin types": " ".join(str(s) for s in sorted(set(data.fitzpatrick.tolist()))),
            }
        )
        log(f"rendered group {g + 1}/8 ({noise} label, {cond} motion/light)")
    if not arrays:
        return None, None, None, pd.DataFrame(facts)
    return np.concatenate(X), np.concatenate(y), np.concatenate(groups), pd.DataFrame(facts)


def _hr(wave: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        return float(estimate_hr(wave, FS))


def evaluate(args, model: LQRPPGRegressor) -> pd.DataFrame:
    rows = []
    for c, cond in enumerate(CONDITIONS):
        offset = TEST_OFFSET + c * TRAIN_OFFSET
        sets = {nz: render(args, args.test_subjects, offset, nz, cond) for nz in NOISE}
        base = sets["none"]
        for nz, data in sets.items():  # the label noise must not change the videos
            assert np.array_equal(data.videos, base.videos), nz
        n_vid = len(base.videos)
        covered = (base.videos.shape[1] // CHUNK) * CHUNK  # whole non-overlapping clips
        t0 = time.perf_counter()
        lq = np.stack([predict_recording(model, v[:covered]) for v in base.videos])
        log(
            f"{cond}: LQ-rPPG predicted {n_vid * covered // CHUNK} clips in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        waves = {
            REF: base.ppg_clean[:, :covered],
            MODEL: lq,
            "POS": POS(fs=FS).predict(base.videos[:, :covered]),
            "CHROM": CHROM(fs=FS).predict(base.videos[:, :covered]),
        }
        truth = base.hr_instantaneous[:, :covered].mean(axis=1)
        label_hr = {nz: [_hr(d.ppg[v, :covered]) for v in range(n_vid)] for nz, d in sets.items()}
        for method, w in waves.items():
            for v in range(n_vid):
                hr = _hr(w[v])
                row = {"condition": cond, "method": method, "video": v, "hr": hr}
                row["truth"] = truth[v]
                row["skin_type"] = int(base.fitzpatrick[v])
                for nz in NOISE:
                    row[f"label_hr_{nz}"] = label_hr[nz][v]
                rows.append(row)
    return pd.DataFrame(rows)


def tables(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    methods = list(dict.fromkeys(rows["method"]))
    clean = []
    for method in methods:
        for cond in [*CONDITIONS, "all"]:
            sel = rows[(rows.method == method) & ((rows.condition == cond) | (cond == "all"))]
            m = evaluate_hr(sel.truth, sel.hr, nan_policy="omit")
            clean.append(
                {
                    "method": method,
                    "motion, light": cond,
                    "MAE": m.loc["MAE", "value"],
                    "MAE SE": m.loc["MAE", "std_error"],
                    "RMSE": m.loc["RMSE", "value"],
                    "Pearson": m.loc["Pearson", "value"],
                    "n": int(m.loc["MAE", "n"]),
                    "no estimate": int(sel.hr.isna().sum()),
                }
            )
    label = {}
    for method in methods:
        sel = rows[rows.method == method]
        label[method] = {}
        for nz in NOISE:
            ref, pred = sel[f"label_hr_{nz}"].to_numpy(), sel.hr.to_numpy()
            ok = np.isfinite(ref) & np.isfinite(pred)
            label[method][nz] = float(np.mean(np.abs(pred[ok] - ref[ok])))
    label_table = pd.DataFrame(label).T
    label_table.index.name = "method (MAE vs the label's HR, bpm)"
    skin = (
        rows.assign(err=(rows.hr - rows.truth).abs())
        .pivot_table(index="method", columns="skin_type", values="err", aggfunc="mean")
        .reindex(methods)
    )
    skin.columns = [f"type {c}" for c in skin.columns]
    counts = rows[rows.method == methods[0]].skin_type.value_counts().sort_index()
    skin.loc["videos"] = counts.to_numpy()
    return {
        "clean": pd.DataFrame(clean).set_index("method"),
        "label": label_table,
        "skin": skin,
    }


def weights_digest(model: LQRPPGRegressor) -> str:
    """SHA-256 of the learned values: the network's and the quantizers' state and codebooks.

    Not of the file, which also holds the training history with its wall-clock times.
    """
    h = hashlib.sha256()
    modules = [model.module_, *model.label_quantizer_.modules_]
    for module in modules:
        for key, tensor in sorted(module.state_dict().items()):
            h.update(key.encode())
            h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    for book in model.codebooks_:
        h.update(np.ascontiguousarray(book, dtype=np.float64).tobytes())
    return h.hexdigest()


FIGURE_CAPTION = (
    "Left: HR of the shipped weights' prediction (and of POS and CHROM) against the clean "
    "pulse's HR on each held-out video; right: Bland-Altman plot of the shipped weights."
)


def figure(args, rows: pd.DataFrame, folder: Path) -> str:
    """Estimate vs reference per held-out video; Bland-Altman of the evaluated weights."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 4.4), layout="constrained")
    shown = rows[rows.method != REF]
    values = np.concatenate([shown.truth, shown.hr])
    values = values[np.isfinite(values)]
    lim = (np.floor(values.min() / 10) * 10 - 5, np.ceil(values.max() / 10) * 10 + 5)
    left.plot(lim, lim, color="k", lw=0.8, label="estimate = reference")
    for method, marker, colour in (("POS", "^", "C1"), ("CHROM", "s", "C2")):
        sel = rows[rows.method == method]
        left.scatter(
            sel.truth,
            sel.hr,
            s=34,
            marker=marker,
            facecolors="none",
            edgecolors=colour,
            label=method,
        )
    model = rows[rows.method == MODEL]
    for cond, colour in zip(CONDITIONS, ("C0", "C3"), strict=True):
        sel = model[model.condition == cond]
        left.scatter(sel.truth, sel.hr, s=18, color=colour, label=f"shipped, {cond} motion/light")
    left.set_xlim(lim)
    left.set_ylim(lim)
    left.set_xlabel("clean pulse's HR (bpm)")
    left.set_ylabel("HR of the prediction (bpm)")
    left.set_title(f"{len(model)} held-out videos of {args.duration:g} s, one point each")
    left.legend(loc="upper left", fontsize="small")
    plot_bland_altman(model.truth, model.hr, ax=right, nan_policy="omit")
    right.margins(y=0.15)  # room for the limits' labels above and below their lines
    right.set_title("shipped weights: Bland-Altman vs the clean pulse")
    right.legend(loc="lower left", fontsize="small")
    return save_figure(fig, "pretrained", FIGURE_CAPTION, folder)


def card_text(args, model, facts, tabs, size_bytes, digest, figure_md, ref_max) -> str:
    def md(frame: pd.DataFrame, index: bool = True) -> str:
        return frame.to_markdown(floatfmt=".2f", index=index)

    n_train = int(facts["clips"].sum())
    epoch_min = sum(h["time_s"] for h in model.history_) / 60
    skin_all = (
        "see the table"
        if "skin types" not in facts
        else " ".join(sorted({t for v in facts["skin types"] for t in v.split()}))
    )
    best = model.best_epoch_
    val = model.history_[best - 1].get("val_hr_mae", float("nan"))
    if args.evaluate_only:
        # The file does not record where it was trained: only where it is evaluated now.
        trained_on = (
            "the machine it was trained on (not recorded in the file; this card was "
            f"rewritten by `--evaluate-only` on {machine()})"
        )
    else:
        trained_on = f"{machine()}, sharing the machine with another benchmark"
    ref_rows = tabs["clean"].loc[REF]
    return f"""# Model card: LQ-rPPG `{NAME}` (shipped with lqrppg)

Written by `benchmarks/train_pretrained.py` (do not edit by hand; rerun the script).

## What it is

`LQRPPGRegressor.pretrained("{NAME}")` loads it; `lqrppg predict VIDEO` uses it by default.
An LQRPPGRegressor (label quantizers at 2/4/8/16/32 levels, then the coarse-to-fine network:
RhythmMamba-style stem, {model.n_blocks} bidirectional Mamba blocks of width {model.dim},
hierarchical heads and predictor; {sum(p.numel() for p in model.module_.parameters()):,}
network parameters) trained on **synthetic** face videos. Input: face crops resized to
**{args.size} x {args.size}** RGB, in clips of **{CHUNK} frames at {FS:g} fps** (5.3 s);
output: a standardised pulse waveform per clip. File: `{args.out.name}`, {size_bytes / 1e6:.2f} MB;
SHA-256 of its learned values (network and quantizer states, codebooks; the file itself
also holds the training history with wall-clock times) `{digest}`.

## Training data

`make_synthetic_rppg` with `random_state={args.seed}`, {args.duration:g} s videos at
{args.size} x {args.size}, {FS:g} fps, one video per subject, {n_train} clips of {CHUNK} frames
from {int(facts["subjects"].sum())} subjects in eight groups (each group its own subjects):

{facts.to_markdown(index=False)}

Skin types (Fitzpatrick) present: {skin_all}; base heart rates drawn uniformly in 45-150 bpm,
the generator's per-subject beat shapes and pulse amplitudes (0.1-0.5 % of the skin
intensity).

## Training configuration

`LQRPPGRegressor(chunk_length={CHUNK}, fs={FS:g}, dim={args.dim}, epochs={args.epochs},
quantizer_epochs={args.quantizer_epochs}, patience={args.patience},
random_state={args.seed}, num_threads={args.threads})`, every other parameter at its
default (batch 16, lr 3e-4, AdamW + one-cycle, augmentation on, a fifth of the subjects
held out to pick the best epoch). Best epoch {best} of {len(model.history_)}, validation HR
MAE {val:.2f} bpm (held-out training subjects, against their labels). The network's
epochs took {epoch_min:.1f} min (``history_``; the label quantizers a few minutes more) on
{trained_on}.

Reproduce: `python benchmarks/train_pretrained.py --seed {args.seed} --subjects {args.subjects}
--epochs {args.epochs} --size {args.size} --threads {args.threads}` (same machine
arithmetic and thread count give the same learned values; compare the SHA-256 above).

## Measured accuracy (held-out synthetic subjects)

{args.test_subjects} new subjects per condition (subject ids never seen in training),
{args.duration:g} s each; per video HR by `estimate_hr` at its defaults (robust chain, band
{60 * HR_BAND[0]:g}-{60 * HR_BAND[1]:g} bpm) of the joined clip predictions; POS and CHROM on
the same frames.

HR error against the clean pulse's HR (bpm):

{md(tabs["clean"])}

"{REF}" is the generator's clean pulse itself through the same HR chain: its error (MAE
{ref_rows["MAE"].iloc[-1]:.2f} bpm, at most {ref_max:.2f} bpm on a video) is the evaluation's own
floor (one spectral peak of {args.duration:g} s of a pulse with beat-to-beat variation,
against the mean of its instantaneous HR), shared by every method on that video.

{figure_md}

HR error against the HR of the contact-PPG label at each noise level, as a real dataset's
reference would be (bpm, all conditions pooled):

{md(tabs["label"])}

Mean absolute HR error against the clean pulse by skin type (bpm; last row: videos):

{md(tabs["skin"])}

## Limits

- Trained and tested only on synthetic videos. It has **not** been validated on real
  recordings; no real video dataset is available to this project's test machines, so its
  error on real faces is unknown. Real-world use should be checked against POS/CHROM
  (`lqrppg predict --method pos`) and, better, fine-tuned on real data (`lqrppg train`).
- It takes video clips, not RGB traces: it cannot be scored on the `oximetry_phone_cam`
  recordings (fingertip camera traces, no face video) that the baselines are scored on.
- Input size {args.size} x {args.size} and {FS:g} fps: other frame rates change the
  apparent heart rate of a clip; resample the video to {FS:g} fps first.
- Heart rates outside 45-150 bpm, strong motion, and lighting beyond the generator's
  'moderate' presets were not in the training data.
- For real faces, the LQ-rPPG authors' models trained on real datasets (UBFC-rPPG, PURE,
  MMPD, V4V, COHFACE) can be imported from their release and run on a CPU: see "The published
  LQ-rPPG models" in the documentation (`docs/guide/authors-models.md`).
"""


def main() -> None:
    parser, args = parse_args()
    model = None
    if args.evaluate_only:
        if args.shipped:
            model = LQRPPGRegressor.pretrained(NAME)
            args.out = pretrained_path(NAME)
        else:
            model = LQRPPGRegressor.load(args.out, device="cpu")
        log(f"loaded {args.out}")
        settings_from_model(parser, args, model)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    log(f"settings: {vars(args)}")
    log(f"machine: {machine()}")
    # Rendered in --evaluate-only too (facts only): the card describes the training set.
    X, y, groups, facts = training_set(args, arrays=not args.evaluate_only)
    if not args.evaluate_only:
        log(f"training set: X {X.shape} {X.dtype}, {len(np.unique(groups))} subjects")
        model = LQRPPGRegressor(
            chunk_length=CHUNK,
            fs=FS,
            dim=args.dim,
            epochs=args.epochs,
            quantizer_epochs=args.quantizer_epochs,
            patience=args.patience,
            num_threads=args.threads,
            random_state=args.seed,
            verbose=1,
            device="cpu",
        )
        t0 = time.perf_counter()
        model.fit(X, y, groups=groups)
        log(f"fit in {(time.perf_counter() - t0) / 60:.1f} min; best epoch {model.best_epoch_}")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        model.save(args.out)
    del X, y
    size_bytes = args.out.stat().st_size
    digest = weights_digest(LQRPPGRegressor.load(args.out, device="cpu"))
    log(f"weights {args.out} ({size_bytes / 1e6:.2f} MB, learned values sha256 {digest})")
    rows = evaluate(args, model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)  # Pearson of tiny --quick sets
        tabs = tables(rows)
    for key, frame in tabs.items():
        print(f"\n{key}:\n{frame.to_string(float_format='{:.2f}'.format)}")
    ref = rows[rows.method == REF]
    ref_max = float(np.nanmax(np.abs(ref.hr - ref.truth)))
    folder = args.tmp if args.quick else RESULTS
    page_figure = figure(args, rows, folder)
    if args.quick:
        card_figure = figure_markdown(folder / "pretrained.png", FIGURE_CAPTION, args.card.parent)
    else:
        # The card is shown in the documentation (docs/model_card.md includes it): link the
        # figure from there. The figure is not shipped in the package; the card names it.
        card_figure = (
            figure_markdown(folder / "pretrained.png", FIGURE_CAPTION, REPO / "docs")
            + "\n\nThe figure is linked relative to the documentation, where this card is "
            "shown; in the source repository it is `docs/benchmarks/pretrained.png`, written "
            "with `docs/benchmarks/pretrained.md` by the same run. It is not shipped in the "
            "package."
        )
    text = card_text(args, model, facts, tabs, size_bytes, digest, card_figure, ref_max)
    args.card.write_text(text)
    log(f"model card: {args.card}")
    if args.quick:
        log(f"--quick: results left in {args.tmp}; shipped files untouched")
        return
    write_results(
        "pretrained",
        f"Pretrained LQ-rPPG weights '{NAME}' on held-out synthetic subjects",
        [
            (
                "Setting",
                f"{args.test_subjects} held-out synthetic subjects per condition, "
                f"{args.duration:g} s each; HR per video by `estimate_hr` at its defaults "
                f"(robust chain, band {60 * HR_BAND[0]:g}-{60 * HR_BAND[1]:g} bpm) of the "
                f"joined clip predictions, POS and CHROM on the same frames. Weights: "
                f"`{args.out.name}`, learned values SHA-256 `{digest[:16]}...`. Training data, "
                "configuration and limits: the [model card](../model_card.md).",
            ),
            ("HR error against the clean pulse (bpm)", tabs["clean"]),
            ("Figure", page_figure),
            ("MAE against the label's HR per noise level (bpm)", tabs["label"].reset_index()),
            ("MAE by skin type (bpm)", tabs["skin"].reset_index()),
        ],
    )


if __name__ == "__main__":
    main()
