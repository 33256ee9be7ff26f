"""``lqrppg predict``: the pulse waveform and heart rate of one video file.

A thin wrapper of :func:`lqrppg.predict_video`, which reads and processes the video chunk by
chunk (:func:`lqrppg.video.stream_predict`), cropping every frame as it is decoded
(:class:`lqrppg.video.StreamCrop`) and keeping only the crops: the memory used is bounded by
a chunk of crops, not by the frame size or the length of the video (one float per frame is
kept for the waveform). The command prints its header at once, the chunks read on stderr as
they are (``--quiet``: not), then the report; ``--json`` writes the same result fields as
:meth:`lqrppg.pipeline.VideoResult.to_json`, ``--windows`` the per-window table.

Choices made here, and why
--------------------------
Method (``--method``)
    LQ-rPPG by default: the model given by ``--model`` or else the pretrained weights
    shipped with the package (:meth:`lqrppg.LQRPPGRegressor.pretrained`; trained on
    synthetic videos only, see its model card); each frame's face crop is resized to the
    model's input size as it is read, and each chunk is cut into clips of the model's
    length, whose waveforms are joined by overlap-add. ``--method pos`` (or another
    unsupervised method) needs no model: each crop is reduced to its mean R, G, B as it is
    read; ``--method auto`` (:class:`lqrppg.baselines.Auto`) picks, chunk by chunk, the
    usable colour channel or method with the best SNR.
Chunk length (``--chunk``)
    At most 30 s by default (never shorter than one model clip), made as long as needed for
    the fewest chunks to end on the last frame (:func:`lqrppg.video.tiling_chunk_frames`: a
    60 s video is three 21.3 s chunks, not two 30 s chunks and a third redone from 30 s). A
    chunk holds crops only (at 32 x 32, 2.8 MB for 30 s at 30 fps; at 128 x 128, 44 MB), so
    it does not depend on the frame size. Consecutive chunks overlap by ``min(2 s, chunk /
    4)`` and are joined by a Hann-weighted overlap-add, which blends the chunk boundaries.
Face crop (``--face``, the default)
    OpenCV's Haar cascade runs once per second of video (every ``round(fps)``-th frame,
    each frame once even where chunks overlap) on a grey copy of the frame shrunk to a
    160-pixel shorter side (faces under 15 % of the frame's shorter side are not found;
    boxes are mapped back to the frame). Each chunk is cropped with one box: the median of
    the faces found over the chunk-length of video up to the chunk's first frame, enlarged
    1.5 times (``StreamCrop(box="chunk")``): one steady box per chunk, so the crop does not
    jitter, a missed or spurious detection does not move it, and a face that moves over
    minutes is followed chunk after chunk. A chunk with no face found in that span is
    cropped to the centred square of the frame instead, and a warning names those chunks.
    Models whose preprocessing is one box from the start of the video (the LQ-rPPG authors'
    released models: ``metadata_["preprocessing"]["face_detection"] == "first"``) get that
    box (``StreamCrop(box="first")``) with their own enlargement. When no face is found on
    any detection frame, the command stops with exit code 1: what it would measure is not a
    face (pass ``--no-face`` for a skin close-up or a fingertip video). The face crop matters for
    the unsupervised methods: they average the crop, and background pixels carry no pulse.
Heart rate
    The whole-video HR is :func:`lqrppg.signal.estimate_hr` of the joined waveform (detrend,
    band-pass, spectral peak with the harmonic check) with its quality
    (``return_quality=True``). The per-window table runs :func:`lqrppg.signal.hr_windowed`
    on the detrended, band-passed waveform, in windows of ``--window`` seconds advanced by
    ``--step`` seconds (default: the window, so windows tile the video).
Confidence and the reliability gate
    The SNR (dB) of the waveform around each HR estimate (:func:`lqrppg.signal.snr`: power
    within +-6 bpm of the HR and of its second harmonic against the rest of the band),
    labelled by :func:`lqrppg.signal.confidence_label`: ``high`` at 5 dB or more,
    ``medium`` from :data:`lqrppg.signal.MIN_SNR` (0 dB) and ``low`` below. Below
    ``--min-snr`` (default ``MIN_SNR``) an estimate is not reliable: the whole-video line
    says "no reliable heart rate" and the command exits 1; windows show no HR. The 0 dB line
    is chance level: on white noise, windows of 2, 10 and 30 s reach it in at most 0.1 % of
    cases, and on the oximetry windows of docs/benchmarks/oximetry_phone_cam.md no estimate
    at or above it is more than 25 % off. It is a heuristic, not a calibrated probability:
    periodic motion or flicker in the band can score high too.

Faces (``--face-index``)
    The number of faces found is reported; with several in view the largest is followed,
    or the ``N``-th from the left with ``--face-index N``.

Exit codes: 0 success; 1 the video was processed but no reliable heart rate (or no face)
was found; 2 bad arguments, an unusable input (missing or unreadable video, clip too short,
model not available) or an unusable output path; 3 an internal error.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from .._files import atomic_write
from .._methods import baseline_class
from ._common import (
    METHOD_NAMES,
    InputError,
    add_band,
    add_command,
    add_face,
    add_min_snr,
    check_band_bpm,
    check_min_snr,
    check_output,
    check_seconds,
    command,
    load_model,
    print_error,
    print_warning,
)

__all__ = ["add_parser", "run"]

_PLOT_SECONDS = 60.0


def _err(message: str) -> None:
    print_error("predict", message)


def _warn(message: str) -> None:
    print_warning("predict", message)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """The ``predict`` command's parser, run by :func:`run`."""
    predict = add_command(
        subparsers,
        "predict",
        run,
        help="pulse waveform and heart rate of a video file",
        description=(
            "Read a video chunk by chunk (memory bounded by the chunk, not the video), crop "
            "the face, extract the pulse with an unsupervised method or a trained LQ-rPPG "
            "model, and print the heart rate of the whole video and of each window with an "
            "SNR-based confidence (high >= 5 dB, medium >= --min-snr, low below: no "
            "reliable heart rate). A video in which no face is found exits 1 unless "
            "--no-face is given."
        ),
        exit_1="no reliable heart rate (or no face)",
    )
    predict.add_argument("video", help="video file (any format OpenCV's FFmpeg reads)")
    predict.add_argument(
        "--method",
        choices=[*METHOD_NAMES, "lqrppg"],
        default="lqrppg",
        help="pulse extraction (default lqrppg: the --model given, else the pretrained "
        "weights shipped with the package)",
    )
    predict.add_argument(
        "--model",
        metavar="PATH",
        help="saved LQRPPGRegressor for --method lqrppg (default: the shipped pretrained "
        "weights, trained on synthetic videos; see the model card)",
    )
    predict.add_argument(
        "--window", type=float, default=10.0, metavar="S", help="HR window in seconds (10)"
    )
    predict.add_argument(
        "--step", type=float, default=None, metavar="S", help="HR window step (the window)"
    )
    predict.add_argument(
        "--chunk",
        type=float,
        default=None,
        metavar="S",
        help="streaming chunk in seconds (30; at least one model clip)",
    )
    add_face(
        predict,
        "crop the face as frames are read (Haar cascade once per second on a 160-px "
        "copy, one median box per chunk, the frame centre in chunks where none is found; no "
        "face in any chunk: exit 1); --no-face averages the whole frame (e.g. a skin close-up)",
    )
    add_band(predict)
    add_min_snr(
        predict,
        "SNR in dB below which a heart rate is not reliable and not given (default "
        "lqrppg.signal.MIN_SNR; --min-snr=-inf gives every estimate)",
    )
    predict.add_argument(
        "--fps", type=float, default=None, help="frame rate, where the container has none"
    )
    predict.add_argument(
        "--face-index",
        type=int,
        default=None,
        metavar="N",
        help="with several faces in view, follow the N-th from the left (0 the leftmost; "
        "default: the largest)",
    )
    predict.add_argument("--out", metavar="CSV", help="write time_s, waveform, filtered")
    predict.add_argument(
        "--json",
        metavar="PATH",
        help="write the whole result as JSON (HR, SNR, confidence, windows, faces, "
        "warnings, waveform); '-' prints it on stdout instead of the report",
    )
    predict.add_argument(
        "--windows", metavar="CSV", help="write the per-window table (start, end, HR, SNR)"
    )
    predict.add_argument(
        "--plot",
        metavar="PNG",
        help="write a figure: first frame with the face box, waveform, spectrum, windowed HR",
    )
    predict.add_argument(
        "--quiet", action="store_true", help="no progress bar on stderr while reading"
    )
    return predict


def _check(args: argparse.Namespace) -> float:
    """The options that need no video, checked; returns ``--min-snr`` (its default filled)."""
    min_snr = check_min_snr(args.min_snr, "-inf: every estimate")
    if args.method != "lqrppg" and args.model is not None:
        raise InputError(f"--model is only used with --method lqrppg, not --method {args.method}")
    check_seconds(window=args.window, step=args.step, chunk=args.chunk)
    if args.fps is not None and not (np.isfinite(args.fps) and args.fps > 0):
        raise InputError(f"--fps must be a positive number of frames per second; got {args.fps:g}")
    if args.face_index is not None and args.face_index < 0:
        raise InputError(
            f"--face-index must be 0 or more (0 the leftmost face); got {args.face_index}"
        )
    if args.face_index is not None and not args.face:
        raise InputError("--face-index needs face detection; it cannot go with --no-face")
    return min_snr


def _write_outputs(result, video, report, *, json_file, windows, out, plot) -> None:
    """Write the files asked for (paths checked before the work), each named on ``report``."""
    if json_file is not None:
        result.to_json(json_file)
        print(f"\nresult (JSON): {json_file.resolve()}", file=report)
    if windows is not None:
        with atomic_write(windows) as tmp:
            result.windows.to_csv(tmp, index=False, float_format="%.4g")
        print(f"per-window table: {windows.resolve()}", file=report)
    if out is not None:
        _write_csv(out, result)
        print(f"waveform: {out.resolve()}", file=report)
    if plot is not None:
        _figure(plot, result, video)
        print(f"plot: {plot.resolve()}", file=report)


# -- the command ------------------------------------------------------------------------------
def _run(args: argparse.Namespace) -> int:
    """Pulse and heart rate of one video file; print them, write CSV, JSON and a figure.

    Returns the process exit code (0, 1 or 2, see the module notes).
    """
    from ..pipeline import predict_video
    from ..video import video_info

    video, method, window, face_index = args.video, args.method, args.window, args.face_index
    min_snr = _check(args)
    json_out = args.json
    to_stdout = json_out == "-"
    out_path = check_output(args.out, "--out")
    json_path = None if to_stdout else check_output(json_out, "--json")
    windows_path = check_output(args.windows, "--windows")
    plot_path = check_output(args.plot, "--plot")
    report = sys.stderr if to_stdout else sys.stdout
    try:
        info = video_info(video, fps=args.fps)
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(str(exc)) from None
    check_band_bpm(args.band, info.fps)
    n_win = round(window * info.fps)
    if 0 < info.n_frames_declared < n_win:  # said before the video is read
        n = info.n_frames_declared
        raise InputError(
            f"the video is {n / info.fps:.1f} s long ({n} frames), shorter than the heart-rate "
            f"window (--window {window:g} s); use --window {math.floor(n / info.fps)} or less"
        )
    if n_win < 8:
        raise InputError(f"--window {window:g} s is only {n_win} frames; use a longer window")

    if method == "lqrppg":
        fitted, n_t, size, what = load_model(args.model)
        name_long = f"LQ-rPPG, {what}, clips of {n_t} frames at {size[0]}x{size[1]}"
    else:
        fitted, name_long = None, baseline_class(method).__name__
    n = info.n_frames_declared
    length = f"{n} frames ({n / info.fps:.1f} s)" if n > 0 else "frame count unknown"
    print(
        f"{video}: {info.width}x{info.height}, {info.fps:g} fps, {length}; method {name_long}",
        file=report,
        flush=True,
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reported from result.warnings below
        try:
            result = predict_video(
                video, method=method, model=fitted, window=window, step=args.step,
                face=args.face, face_index=face_index, band=args.band, min_snr=min_snr,
                fps=args.fps, chunk=args.chunk, progress=not args.quiet,
            )  # fmt: skip
        except (FileNotFoundError, ValueError) as exc:
            raise InputError(str(exc)) from None
    _report(result, report)
    if to_stdout:
        print(result.to_json())
    _write_outputs(result, video, report, json_file=json_path, windows=windows_path, out=out_path,
                   plot=plot_path)  # fmt: skip
    print(f"done in {result.elapsed_s:.1f} s", file=report)
    return 0 if result.reliable else 1


def _report(result, stream) -> None:
    """The console report of a VideoResult: chunks, faces, warnings, HR, window table."""
    chunks = len(result.faces["chunk_starts"])
    s = result.settings
    if chunks == 1:
        print("read as one chunk", file=stream)
    else:
        print(
            f"{chunks} chunks of {s['chunk_s']:.1f} s overlapping by {s['overlap_s']:.1f} s",
            file=stream,
        )
    _print_face(result, stream)
    for message in result.warnings:
        _warn(f"{result.method}: {message}")
    if result.reason.startswith(("no face found", "face_index")):
        _err(result.reason.replace("face=False (--no-face)", "--no-face"))
        return
    if result.reliable:
        print(
            f"\nheart rate (whole video): {result.hr:.1f} bpm, SNR {result.snr:.1f} dB, "
            f"confidence {result.confidence}",
            file=stream,
        )
    elif np.isfinite(result.snr) and "below min_snr" in result.reason:
        print(
            f"\nheart rate (whole video): no reliable heart rate (SNR {result.snr:.1f} dB "
            f"around the spectral peak, below --min-snr {s['min_snr']:g} dB)",
            file=stream,
        )
    else:
        print(f"\nheart rate (whole video): no estimate ({result.reason})", file=stream)
    _print_physiology(result, stream)
    from ..signal import CONFIDENCE_THRESHOLDS

    thresholds = ", ".join(f"{label} >= {low:g} dB" for low, label in CONFIDENCE_THRESHOLDS)
    print(
        f"\nper-window heart rate ({s['window']:g} s windows every {s['step']:g} s; confidence "
        f"from the SNR around each window's HR: {thresholds}, else low; no HR below --min-snr "
        f"{s['min_snr']:g} dB):",
        file=stream,
    )
    table = result.windows.to_string(index=False, na_rep="-", float_format="{:.1f}".format)
    print(table, file=stream)


def _print_physiology(result, stream) -> None:
    """Beats, mean NN, respiration where given; why HRV is not."""
    phys = result.physiology
    if not phys.get("beats"):
        return
    beats, variability, breathing = phys["beats"], phys["hrv"], phys["respiration"]
    mean_nn = variability["mean_nn_ms"]
    nn = (
        f"mean NN interval {mean_nn:.0f} ms ({variability['mean_hr_bpm']:.1f} bpm)"
        if mean_nn is not None and np.isfinite(mean_nn)
        else f"no mean NN interval ({variability['reasons'].get('mean_nn_ms', '')})"
    )
    print(
        f"beats: {beats['n_beats']} detected, {beats['n_flagged']} flagged (ectopic or "
        f"implausible intervals); {nn}",
        file=stream,
    )
    value = breathing["value"]
    if value is not None and np.isfinite(value):
        print(
            f"respiration rate: {value:.1f} breaths/min (quality {breathing['quality']:.2f})",
            file=stream,
        )
    else:
        print(f"respiration rate: not given ({breathing['reason']})", file=stream)
    print("HRV (SDNN, RMSSD, pNN50, LF/HF): " + variability["reasons"]["sdnn_ms"], file=stream)


def _print_face(result, stream) -> None:
    """The face line(s): faces found, where the crop came from, chunks cropped to the centre."""
    f, rate, n = result.faces, result.fps, result.n_frames
    box = result.settings["box"]
    if box == "frame":
        print("face: not cropped (--no-face); the whole frame is averaged", file=stream)
        return
    found = np.array([b is not None for b in f["boxes"]], dtype=bool)
    fallback = np.flatnonzero(f["chunk_fallback"])
    n_chunks = len(f["chunk_starts"])
    if f["n_faces"] > 1:
        which = (
            "the largest is followed (--face-index N for another)"
            if f["face_index"] is None
            else f"face {f['face_index']} from the left is followed (--face-index)"
        )
        print(f"faces: up to {f['n_faces']} found at one detection frame; {which}", file=stream)
    if box == "first":
        if not found.any():
            print(f"face: none found on {len(found)} detection frames", file=stream)
        else:
            k = int(np.flatnonzero(~np.asarray(f["chunk_fallback"]))[0])
            x0, y0, side, _ = f["chunk_boxes"][k]
            first = f["detection_frames"][int(np.flatnonzero(found)[0])]
            print(
                f"face: box {side}x{side} at ({x0}, {y0}) from frame {first}, kept for the "
                "whole video (the model's preprocessing: one Haar box from the start, "
                f"enlarged {result.settings['box_scale']:g}x)",
                file=stream,
            )
        if fallback.size:
            _warn(
                f"no face found in the first {fallback.size} of {n_chunks} chunks; the centred "
                "square of the frame was used there"
            )
        return
    print(
        f"face: found on {int(found.sum())} of {len(found)} detection frames (Haar cascade once "
        "per second on a 160-px copy, one median box per chunk)",
        file=stream,
    )
    if fallback.size and found.any():
        chunk = round(result.settings["chunk_s"] * rate)
        spans = ", ".join(
            f"{f['chunk_starts'][k] / rate:.1f}-{min(n, f['chunk_starts'][k] + chunk) / rate:.1f} s"
            for k in fallback[:10]
        )
        more = ", ..." if fallback.size > 10 else ""
        _warn(
            f"no face found in {fallback.size} of {n_chunks} chunks ({spans}{more}); the "
            "centred square of the frame was used there"
        )


def _write_csv(path: Path, result) -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {"time_s": result.timestamps, "waveform": result.waveform, "filtered": result.filtered}
    )
    with atomic_write(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.7g")


def _figure(path: Path, result, video) -> None:
    """First frame with the crop, spectrum zoomed to the band, waveform, HR per window."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from ..plotting import plot_spectrum, plot_waveforms
    from ..video import read_video

    fs, filtered, name, table = result.fps, result.filtered, result.method, result.windows
    low, high = result.settings["band"]
    hr = result.hr
    fig = plt.figure(figsize=(10, 10.5), constrained_layout=True)
    grid = fig.add_gridspec(3, 2, width_ratios=(1, 1.6))
    ax_img, ax_spec = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    ax_wave, ax_hr = fig.add_subplot(grid[1, :]), fig.add_subplot(grid[2, :])

    frame = read_video(video, max_frames=1, fps=result.fps).frames[0]
    ax_img.imshow(frame)
    faces = result.faces
    if result.settings["box"] != "frame" and faces["chunk_boxes"]:
        x0, y0, w, h = faces["chunk_boxes"][0]
        fallback = faces["chunk_fallback"][0]
        colour = "C1" if fallback else "C2"
        what = "frame centre (no face yet)" if fallback else "crop of the first chunk"
        ax_img.add_patch(Rectangle((x0, y0), w, h, fill=False, ec=colour, lw=2, label=what))
        if faces["boxes"] and faces["boxes"][0] is not None:
            fx, fy, fw, fh = faces["boxes"][0]
            ax_img.add_patch(
                Rectangle((fx, fy), fw, fh, fill=False, ec="C0", lw=1, ls="--", label="face found")
            )
        ax_img.legend(loc="lower center", fontsize="x-small", framealpha=0.8)
    n_faces = faces.get("n_faces", 0)
    ax_img.set_title(f"first frame ({n_faces} face{'s' if n_faces != 1 else ''} found)")
    ax_img.set_axis_off()

    plot_spectrum({f"{name} pulse": filtered}, fs, band=(low / 60, high / 60), ax=ax_spec)
    if np.isfinite(hr):
        ax_spec.axvline(hr, color="C3", ls="--", lw=1, label=f"HR {hr:.1f} bpm")
        ax_spec.legend(loc="upper right", fontsize="small")
    margin = 0.1 * (high - low)
    ax_spec.set_xlim(max(0.0, low - margin), high + margin)
    ax_spec.set_title("spectrum of the whole video (the HR band)")

    n_show = int(min(filtered.size, _PLOT_SECONDS * fs))
    plot_waveforms({f"{name} pulse (detrended, band-passed)": filtered[:n_show]}, fs, ax=ax_wave)
    shown = "whole video" if n_show == filtered.size else f"first {n_show / fs:g} s"
    ax_wave.set_title(f"pulse waveform, {shown}")

    colours = {"high": "C2", "medium": "C1", "low": "C3", "none": "0.6"}
    for label, colour in colours.items():
        rows = table[(table["confidence"] == label) & np.isfinite(table["hr_bpm"])]
        if len(rows):
            ax_hr.hlines(rows["hr_bpm"], rows["start_s"], rows["end_s"], colors=colour, lw=3)
            centre = (rows["start_s"] + rows["end_s"]) / 2
            ax_hr.scatter(centre, rows["hr_bpm"], color=colour, s=14, label=f"{label} confidence")
    missing = table[~np.isfinite(table["hr_bpm"])]
    for start, end in zip(missing["start_s"], missing["end_s"], strict=True):
        ax_hr.axvspan(start, end, color="0.92", zorder=0)
    if len(missing):
        ax_hr.axvspan(0, 0, color="0.92", label="no reliable HR")
    if np.isfinite(hr):
        ax_hr.axhline(hr, color="k", ls="--", lw=1, label=f"whole video {hr:.1f} bpm")
        lo, hi = ax_hr.get_ylim()
        if hi - lo < 20:  # a steady HR would otherwise fill the axis with sub-bpm wiggles
            mid = (lo + hi) / 2
            ax_hr.set_ylim(mid - 10, mid + 10)
    else:
        ax_hr.set_ylim(low, high)
    ax_hr.set_xlim(0, result.duration_s)
    ax_hr.set_xlabel("time (s)")
    ax_hr.set_ylabel("heart rate (bpm)")
    ax_hr.set_title("heart rate per window")
    ax_hr.legend(loc="upper right", fontsize="small")

    verdict = (
        f"HR {hr:.1f} bpm, SNR {result.snr:.1f} dB, confidence {result.confidence}"
        if np.isfinite(hr)
        else "no reliable heart rate"
    )
    fig.suptitle(f"{Path(str(video)).name}: {name}, {verdict}", fontsize="large")
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=110, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)


run = command("predict", _run)
