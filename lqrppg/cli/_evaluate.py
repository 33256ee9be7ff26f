"""``lqrppg evaluate``: heart-rate metrics of a trained model and of baselines on a dataset.

Protocol
--------
Every recording is read by the dataset's loader, face-cropped (box from its first frame,
Haar cascade, enlarged 1.5 times), resized to the model's input size (``--size`` without a
model) and cut into clips of the model's length (160 frames without a model) that cover the
whole recording: the last clip ends on the last frame (``remainder="last"``), so no frame is
left out. Recordings are processed a few at a time (``--n-jobs`` of them in parallel), so
memory is bounded by a few recordings, not by the dataset.

- The model predicts the whole cropped recording with
  :func:`lqrppg.pipeline.predict_recording` (the same routine as ``lqrppg predict``: clips of
  the model's length, the last one ending on the last frame, joined by a Hann-weighted
  overlap-add).
- The unsupervised methods (POS, CHROM, ...) run on the mean RGB trace of the whole
  recording (the face crop averaged per frame, the clips joined), as rPPG-Toolbox evaluates
  them: one pass over the video, not one per clip.
- Heart rate, per recording (default) or per window (``--window S``, advanced by
  ``--step S``): :func:`lqrppg.signal.estimate_hr` of the predicted waveform (detrend,
  band-pass, spectral peak with the harmonic check), with its quality (SNR around the
  estimate). A prediction counts as given when that SNR is at least ``--min-snr`` (the
  library's :data:`lqrppg.signal.MIN_SNR` by default); the others are declines.
- Reference (:func:`lqrppg.metrics.reference_hr`): the HR of the contact PPG over the same
  frames by the same routine, so a PPG with a strong dicrotic wave is not read at twice its
  rate. Where the dataset stores its own HR (UBFC-rPPG ``ground_truth.txt`` line 2, PURE's
  pulse rate) it is reported beside it (``hr_device``), segments where the two differ by
  more than 5 bpm are named in a warning, and ``--reference device`` scores against it.
  SNR of the prediction around the reference HR (:func:`lqrppg.signal.snr`).
- Metrics per method: :func:`lqrppg.metrics.evaluate_hr` (MAE, RMSE, MAPE, Pearson r, SNR,
  with standard errors) over the segments given a number, next to their count ``n``, the
  declines ``n_declined``, the coverage (share given a number) and ``MAE_all``, the error
  of every estimate with no gate; a recording or window whose reference HR is unknown is
  left out for every method and reported.

Exit codes: 0 success; 1 no heart rate could be scored; 2 bad arguments or input.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np

from .._files import atomic_write
from ._common import (
    METHOD_NAMES,
    InputError,
    add_band,
    add_command,
    add_dataset_options,
    add_face,
    add_min_snr,
    add_size,
    check_band_bpm,
    check_min_snr,
    check_output,
    check_seconds,
    command,
    load_dataset,
    load_model,
    parse_size,
    print_preprocessing,
    print_warning,
)

__all__ = ["add_parser", "evaluate_recording", "run"]

_DEFAULT_CHUNK = 160


def _warn(message: str) -> None:
    print_warning("evaluate", message)


def _join_clips(clips: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` frames that the clips (covering them, starting at ``starts``) were cut from."""
    if (
        starts[0] != 0
        or starts[-1] + clips.shape[1] != n
        or np.any(np.diff(starts) > clips.shape[1])
    ):
        raise RuntimeError(f"the clips (starts {starts.tolist()}) do not cover {n} frames")
    out = np.empty((n, *clips.shape[2:]), dtype=clips.dtype)
    for clip, start in zip(clips, starts, strict=True):
        out[start : start + clips.shape[1]] = clip
    return out


def _segments(n: int, fs: float, window: float | None, step: float | None):
    """(start, stop) frame spans scored in a recording of ``n`` frames."""
    if window is None:
        return [(0, n)]
    n_win = round(window * fs)
    n_step = max(1, round((window if step is None else step) * fs))
    if n_win > n:
        return []
    return [(s, s + n_win) for s in range(0, n - n_win + 1, n_step)]


def evaluate_recording(
    waveforms: dict,
    ppg,
    fs: float,
    band,
    segments,
    *,
    min_snr: float,
    device_hr=None,
    reference: str = "ppg",
) -> list[dict]:
    """Score the waveforms of one recording against its reference HR, segment by segment.

    Parameters
    ----------
    waveforms : dict of str to ndarray of shape (n_frames,)
        Predicted pulse per method.
    ppg : ndarray of shape (n_frames,)
        Contact PPG at the frames.
    fs : float
        Frame rate in Hz.
    band : (float, float)
        Heart-rate band in Hz.
    segments : list of (int, int)
        Frame spans ``[start, stop)`` to score.
    min_snr : float
        SNR (dB, around its own estimate) from which a prediction counts as estimated
        (the command's default: :data:`lqrppg.signal.MIN_SNR`).
    device_hr : ndarray of shape (n_frames,), optional
        The dataset's own HR at the frames (NaN where unknown).
    reference : {"ppg", "device"}, default="ppg"
        The reference: the contact PPG's HR (:func:`lqrppg.metrics.reference_hr`) or the
        dataset's own.

    Returns
    -------
    list of dict
        One row per method and segment: ``method``, ``start_s``, ``end_s``, ``hr_true``
        (the reference), ``hr_ppg``, ``hr_device``, ``hr_pred`` (every estimate, NaN where
        none), ``pred_snr_db`` and ``confidence`` (quality around the estimate),
        ``reliable`` (``pred_snr_db >= min_snr``), ``snr_db`` (SNR around the reference).

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.cli._evaluate import evaluate_recording
    >>> t = np.arange(600) / 30.0
    >>> ppg = np.sin(2 * np.pi * 1.2 * t)
    >>> rows = evaluate_recording({"a": np.sin(2 * np.pi * 1.25 * t)}, ppg, 30.0, (0.75, 2.5),
    ...                           [(0, 600)], min_snr=0.0)
    >>> round(rows[0]["hr_true"], 1), round(rows[0]["hr_pred"], 1), rows[0]["reliable"]
    (72.0, 75.0, True)
    """
    from ..metrics import reference_hr
    from ..signal import estimate_hr, filter_pulse, snr

    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no estimate is a NaN, counted by the caller
        for start, stop in segments:
            dev = None if device_hr is None else device_hr[start:stop]
            ref = reference_hr(ppg[start:stop], fs, device_hr=dev, band=band)
            hr_true = ref.ppg if reference == "ppg" else ref.device
            for method, wave in waveforms.items():
                seg = wave[start:stop]
                pred = estimate_hr(seg, fs, band=band, return_quality=True)
                snr_db = math.nan
                if np.isfinite(hr_true) and np.all(np.isfinite(seg)):
                    snr_db = float(snr(filter_pulse(seg, fs, band=band), hr_true, fs, band=band))
                rows.append(
                    {
                        "method": method,
                        "start_s": start / fs,
                        "end_s": stop / fs,
                        "hr_true": hr_true,
                        "hr_ppg": ref.ppg,
                        "hr_device": ref.device,
                        "hr_pred": pred.hr,
                        "pred_snr_db": pred.snr,
                        "confidence": pred.confidence,
                        "reliable": bool(pred.reliable(min_snr)),
                        "snr_db": snr_db,
                    }
                )
    return rows


def _metrics_table(results, methods):
    import pandas as pd

    from ..metrics import evaluate_hr

    table = []
    for method in methods:
        rows = results[(results["method"] == method) & np.isfinite(results["hr_true"])]
        true, pred = rows["hr_true"].to_numpy(), rows["hr_pred"].to_numpy()
        ok = rows["reliable"].to_numpy(dtype=bool)
        entry = {
            "method": method,
            "n": int(ok.sum()),
            "n_declined": int((~ok).sum()),
            "coverage_%": 100.0 * ok.mean() if len(ok) else math.nan,
        }
        finite = np.isfinite(pred)
        if finite.any():
            entry["MAE_all"] = float(np.mean(np.abs(pred[finite] - true[finite])))
        if ok.sum() >= 2:
            snrs = rows["snr_db"].to_numpy()[ok]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Pearson r of 2 items is NaN, shown as '-'
                m = evaluate_hr(true[ok], pred[ok], snr=snrs if np.isfinite(snrs).all() else None)
            for key in m.index.drop("coverage"):
                entry[key] = m.loc[key, "value"]
                if key in ("MAE", "RMSE"):
                    entry[f"{key}_se"] = m.loc[key, "std_error"]
        elif ok.sum() == 1:
            err = abs(pred[ok] - true[ok])
            entry.update(MAE=float(err[0]), RMSE=float(err[0]))
        table.append(entry)
    columns = ["method", "MAE", "MAE_se", "RMSE", "RMSE_se", "MAPE", "Pearson", "SNR", "n"]
    return pd.DataFrame(table).reindex(columns=[*columns, "n_declined", "coverage_%", "MAE_all"])


def add_parser(subparsers) -> argparse.ArgumentParser:
    """The ``evaluate`` command's parser, run by :func:`run`."""
    evaluate = add_command(
        subparsers,
        "evaluate",
        run,
        help="heart-rate metrics of a saved model and baselines on a video dataset",
        description=(
            "Crop, resize and cut every recording of a dataset into clips that cover it, "
            "predict the pulse with a saved model (clips joined by overlap-add) and/or "
            "unsupervised methods (on the whole recording's face trace), and compare the HR "
            "of each recording (or --window) with the HR of its contact PPG: MAE, RMSE, "
            "MAPE, Pearson r and SNR with standard errors over the estimates given (SNR >= "
            "--min-snr), with the coverage and the error of all estimates."
        ),
        exit_1="nothing could be scored",
    )
    add_dataset_options(evaluate)
    evaluate.add_argument(
        "--model",
        metavar="PATH",
        help="model saved by 'lqrppg train' for --method lqrppg (default: the pretrained weights)",
    )
    evaluate.add_argument(
        "--method",
        nargs="+",
        choices=["lqrppg", *METHOD_NAMES],
        default=["lqrppg"],
        help="methods to score, one row each (default lqrppg: --model, else the shipped "
        "pretrained weights)",
    )
    add_size(evaluate, "face-crop size without --model (128); with a model, the model's")
    add_face(evaluate, "crop the face (box from each recording's first frame)")
    evaluate.add_argument(
        "--window",
        type=float,
        default=None,
        metavar="S",
        help="score windows of S seconds (default: one HR per recording)",
    )
    evaluate.add_argument(
        "--step", type=float, default=None, metavar="S", help="window step (the window)"
    )
    add_band(evaluate)
    add_min_snr(
        evaluate,
        "SNR in dB from which an estimate counts as given (default "
        "lqrppg.signal.MIN_SNR); the others are declines, counted against the coverage",
    )
    evaluate.add_argument(
        "--reference",
        choices=["ppg", "device"],
        default="ppg",
        help="reference HR: the contact PPG's (ppg, default) or the dataset's own (device: "
        "UBFC-rPPG ground_truth line 2, PURE pulse rate)",
    )
    evaluate.add_argument("--out", metavar="CSV", help="write the per-recording/window rows")
    evaluate.add_argument("--quiet", action="store_true", help="no progress lines")
    return evaluate


def _check(args: argparse.Namespace) -> tuple[list[str], float]:
    """The options that need no data, checked: (methods without repeats, min_snr)."""
    methods = list(dict.fromkeys(args.method))
    unknown = [m for m in methods if m != "lqrppg" and m not in METHOD_NAMES]
    if unknown:
        raise InputError(f"unknown --method {unknown}; expected lqrppg or {sorted(METHOD_NAMES)}")
    if "lqrppg" not in methods and args.model is not None:
        raise InputError("--model is given but --method does not include lqrppg")
    check_seconds(window=args.window, step=args.step)
    if args.step is not None and args.window is None:
        raise InputError("--step needs --window (without it each recording is one segment)")
    if args.n_jobs == 0:
        raise InputError("--n-jobs must not be 0 (1: one process, -1: all cores)")
    min_snr = check_min_snr(args.min_snr, "-inf: keep every estimate")
    if args.reference not in ("ppg", "device"):
        raise InputError(f"--reference must be ppg or device; got {args.reference!r}")
    return methods, min_snr


def _score_recording(prep, sel, rec, est, methods, names, band_hz, args, min_snr) -> list[dict]:
    """Every method's waveform of one preprocessed recording, scored segment by segment."""
    from .._methods import baseline_class
    from ..baselines import spatial_mean
    from ..pipeline import predict_recording

    n, fs = int(rec.n_frames), float(rec.fps)
    starts = prep.clip_index["start"].to_numpy()[sel]
    # The clips cover the recording (remainder="last"): put the cropped recording, its PPG
    # and the dataset's HR back together, frame for frame.
    frames = _join_clips(prep.X[sel], starts, n)
    ppg = _join_clips(prep.y[sel], starts, n)
    device = _join_clips(prep.hr[sel], starts, n) if np.isfinite(prep.hr[sel]).any() else None
    waves = {}
    traces = None
    for m, name in zip(methods, names, strict=True):
        if m == "lqrppg":
            waves[name] = predict_recording(est, frames)
            continue
        if traces is None:
            traces = spatial_mean(frames[None])[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a NaN waveform is counted as declined
            waves[name] = baseline_class(m)(fs=fs, band=band_hz).predict(traces[None])[0]
    segs = _segments(n, fs, args.window, args.step)
    return evaluate_recording(
        waves, ppg, fs, band_hz, segs, device_hr=device, min_snr=min_snr, reference=args.reference
    )


def _check_references(results, reference: str, dataset: str) -> None:
    """Refuse ``--reference device`` without one; warn where the references disagree or
    where a segment has none."""
    segments = results.drop_duplicates(["recording", "start_s"])
    if reference == "device" and not np.isfinite(segments["hr_device"].astype(float)).any():
        raise InputError(f"--reference device: {dataset} has no heart rate of its own")
    differ = segments[np.abs(segments["hr_ppg"] - segments["hr_device"]) > 5.0]
    if len(differ):
        _warn(
            f"in {len(differ)} of {len(segments)} segments the contact PPG's HR and the "
            f"dataset's own HR differ by more than 5 bpm (one of the references is wrong "
            f"there; the reference used is the {reference}'s): "
            + ", ".join(
                f"{r.recording} {r.start_s:.0f}-{r.end_s:.0f} s: {r.hr_ppg:.1f} vs "
                f"{r.hr_device:.1f}"
                for r in differ[:5].itertuples()
            )
        )
    no_ref = results.loc[~np.isfinite(results["hr_true"].astype(float))]
    if len(no_ref):
        spans = no_ref.drop_duplicates(["recording", "start_s"])
        _warn(
            f"{len(spans)} segments have no reference HR (the contact PPG has no pulse in the "
            "band) and are left out for every method: "
            + ", ".join(
                f"{r.recording} {r.start_s:.0f}-{r.end_s:.0f} s" for r in spans[:5].itertuples()
            )
        )


def _run(args: argparse.Namespace) -> int:
    """HR metrics of a saved model and/or unsupervised methods on a dataset; print them.

    Returns the process exit code (0, 1 or 2, see the module notes).
    """
    import pandas as pd

    from .._methods import baseline_class
    from ..datasets import preprocess_dataset

    window, reference, n_jobs = args.window, args.reference, args.n_jobs
    t0 = time.perf_counter()
    methods, min_snr = _check(args)
    out_path = check_output(args.out, "--out")

    if "lqrppg" in methods:
        est, chunk, hw, what = load_model(args.model)  # None: the pretrained weights
    else:
        est, chunk, hw, what = None, _DEFAULT_CHUNK, parse_size(args.size), ""
    data = load_dataset(args.dataset, args.path, args.subjects)
    band_hz = check_band_bpm(args.band, float(data.fs))
    names = [("LQ-rPPG" if m == "lqrppg" else baseline_class(m).__name__) for m in methods]
    print(
        f"{data.name}: {len(data.recordings)} recordings of {len(data.subjects)} subjects "
        f"from {data.path}; methods {', '.join(names)}; clips of {chunk} frames at "
        f"{hw[0]}x{hw[1]}" + (f"; LQ-rPPG: {what}" if what else "")
    )

    per_batch = max(1, n_jobs if n_jobs > 0 else 2)
    rows, summaries = [], []
    recs = data.recordings
    for b in range(0, len(recs), per_batch):
        part = {"recordings": recs[b : b + per_batch], "name": data.name, "fs": data.fs}
        part["path"] = data.path
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="preprocess_dataset:", category=UserWarning)
            try:
                prep = preprocess_dataset(
                    part,
                    chunk_length=chunk,
                    remainder="last",
                    face_cropper="default" if args.face else None,
                    size=hw,
                    normalize=None,
                    label_normalize=None,
                    cache_dir=args.cache_dir,
                    n_jobs=n_jobs,
                    progress=False,
                )
            except ValueError as exc:
                raise InputError(str(exc)) from None
        summaries.append(prep.summary)
        for rec in prep.summary.itertuples():
            sel = np.flatnonzero(prep.clip_index["recording"].to_numpy() == rec.recording)
            if len(sel) == 0:
                continue
            scored = _score_recording(prep, sel, rec, est, methods, names, band_hz, args, min_snr)
            for row in scored:
                row.update(recording=rec.recording, subject=rec.subject)
                rows.append(row)
        if not args.quiet:
            done = min(b + per_batch, len(recs))
            print(f"  {done}/{len(recs)} recordings ({time.perf_counter() - t0:.0f} s)")

    summary = pd.concat(summaries, ignore_index=True)
    print_preprocessing(summary, "evaluate")
    if window is not None:
        short = summary[summary["n_frames"].notna() & (summary["n_frames"] < window * data.fs)]
        for rec in short.itertuples():
            _warn(f"{rec.recording}: {rec.n_frames} frames, shorter than one --window; not scored")
    columns = ["method", "recording", "subject", "start_s", "end_s", "hr_true", "hr_ppg"]
    columns += ["hr_device", "hr_pred", "pred_snr_db", "confidence", "reliable", "snr_db"]
    results = pd.DataFrame(rows, columns=columns)
    _check_references(results, reference, data.name)
    if out_path is not None:
        with atomic_write(out_path) as tmp:
            results.to_csv(tmp, index=False, float_format="%.6g")
        print(f"per-{'window' if window else 'recording'} results: {out_path.resolve()}")
    table = _metrics_table(results, names)
    unit = f"{window:g} s windows" if window is not None else "recordings"
    print(
        f"\nheart-rate metrics over {unit} given a number (SNR around the estimate >= "
        f"{min_snr:g} dB; MAE, RMSE in bpm; MAPE in %; SNR around the reference in dB); "
        "n_declined: segments without one, coverage_%: share with one, MAE_all: every "
        "estimate, declined or not:"
    )
    print(table.to_string(index=False, na_rep="-", float_format="{:.2f}".format))
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0 if (table["n"] > 0).any() else 1


run = command("evaluate", _run)
