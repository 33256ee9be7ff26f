"""``lqrppg predict``: the pulse waveform and heart rate of one video file.

The video is read and processed chunk by chunk by :func:`lqrppg.video.stream_predict`, which
crops every frame as it is decoded (:class:`lqrppg.video.StreamCrop`) and keeps only the
crops: the memory used is bounded by a chunk of crops, not by the frame size or the length of
the video (one float per frame is kept for the waveform).

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

Exit codes: 0 success; 1 the video was processed but no heart rate could be estimated;
2 bad arguments or an unusable input (missing or unreadable video, clip too short, model
not available).
"""

from __future__ import annotations

import math
import time
import warnings
from pathlib import Path

import numpy as np

from ..baselines import CHROM, GREEN, ICA, LGI, OMIT, PBV, POS, Auto
from ..exceptions import EstimationWarning
from ..pipeline import predict_recording
from ..signal import (
    CONFIDENCE_THRESHOLDS,
    MIN_SNR,
    confidence_label,
    estimate_hr,
    filter_pulse,
    hr_windowed,
)
from ..video import (
    StreamCrop,
    stream_predict,
    tiling_chunk_frames,
    video_info,
)
from ._common import (
    METHOD_NAMES,
    InputError,
    check_band_bpm,
    check_output,
    print_error,
    print_warning,
)

__all__ = ["METHODS", "run_predict"]

#: Unsupervised methods by their command-line name; "lqrppg" (the trained model) is extra.
METHODS = dict(zip(METHOD_NAMES, (POS, CHROM, GREEN, LGI, PBV, ICA, OMIT, Auto), strict=True))

_CHUNK_S = 30.0
_MAX_OVERLAP_S = 2.0
_PLOT_SECONDS = 60.0


def _err(message: str) -> None:
    print_error("predict", message)


def _warn(message: str) -> None:
    print_warning("predict", message)


# -- the trained model ------------------------------------------------------------------------
def _load_model(path):
    """Load a saved LQRPPGRegressor, or the shipped weights when ``path`` is None.

    Returns (model, clip frames, (height, width), description).
    """
    try:
        from ..models import LQRPPGRegressor
    except ImportError:
        raise InputError(
            "the lqrppg model is not available in this build (lqrppg.models.LQRPPGRegressor "
            "cannot be imported); use --method pos or another unsupervised method"
        ) from None
    if path is None:
        try:
            model = LQRPPGRegressor.pretrained()
        except (FileNotFoundError, ValueError) as exc:
            raise InputError(
                f"cannot load the pretrained LQ-rPPG weights: {exc}; pass --model PATH or "
                "use --method pos"
            ) from None
        what = "pretrained weights 'synthetic-32' (trained on synthetic videos only)"
    else:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"model file not found: {str(p)!r}")
        try:
            model = LQRPPGRegressor.load(p)
        except Exception as exc:  # any failure to load is a problem with the user's file
            raise InputError(f"cannot load an lqrppg model from {str(p)!r}: {exc}") from None
        what = f"model {str(p)!r}"
    # The fitted clip length and frame size: clips are cut and face crops resized to them.
    n_t, (height, width) = model.n_frames_, model.frame_shape_
    return model, int(n_t), (int(height), int(width)), what


def _model_predict_fn(model, n_t: int):
    """Chunk (1, L, h, w, 3) -> waveform (1, L): the model on clips of its own T frames."""

    def predict(clip: np.ndarray) -> np.ndarray:
        frames = clip[0]
        if len(frames) < n_t:
            raise InputError(
                f"the video has {len(frames)} frames, fewer than the {n_t} frames of one "
                "clip of the model"
            )
        return predict_recording(model, frames)[None]

    return predict


def _chunk_seconds(chunk, info, min_frames: int) -> float:
    if chunk is not None:
        if not (np.isfinite(chunk) and chunk > 0):
            raise InputError(f"--chunk must be a positive number of seconds; got {chunk:g}")
        if chunk * info.fps < min_frames:
            raise InputError(
                f"--chunk {chunk:g} s is shorter than one model clip ({min_frames} frames = "
                f"{min_frames / info.fps:g} s)"
            )
        return float(chunk)
    return max(_CHUNK_S, min_frames / info.fps)


# -- the command ------------------------------------------------------------------------------
def run_predict(
    video,
    *,
    method: str | None = None,
    model: str | None = None,
    window: float = 10.0,
    step: float | None = None,
    chunk: float | None = None,
    face: bool = True,
    band=(40.0, 180.0),
    min_snr: float | None = None,
    fps: float | None = None,
    out: str | None = None,
    plot: str | None = None,
) -> int:
    """Pulse and heart rate of one video file; print them, write a CSV and a figure.

    Parameters mirror the command-line options (see ``lqrppg predict --help``); ``band`` is
    in beats per minute. Returns the process exit code (0, 1 or 2, see the module notes).
    """
    try:
        return _run(video, method, model, window, step, chunk, face, band, min_snr, fps, out, plot)
    except InputError as exc:
        _err(str(exc))
        return 2


def _run(video, method, model_path, window, step, chunk, face, band, min_snr, fps, out, plot):
    t0 = time.perf_counter()
    min_snr = MIN_SNR if min_snr is None else float(min_snr)
    if np.isnan(min_snr):
        raise InputError("--min-snr must be a number of dB (-inf: every estimate)")
    if method is None:
        method = "lqrppg"
    if method != "lqrppg" and model_path is not None:
        raise InputError(f"--model is only used with --method lqrppg, not --method {method}")
    if not (np.isfinite(window) and window > 0):
        raise InputError(f"--window must be a positive number of seconds; got {window:g}")
    step = window if step is None else step
    if not (np.isfinite(step) and step > 0):
        raise InputError(f"--step must be a positive number of seconds; got {step:g}")
    if fps is not None and not (np.isfinite(fps) and fps > 0):
        raise InputError(f"--fps must be a positive number of frames per second; got {fps:g}")
    out_path = check_output(out, "--out")
    plot_path = check_output(plot, "--plot")
    try:
        info = video_info(video, fps=fps)
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(str(exc)) from None
    band_hz = check_band_bpm(band, info.fps)

    if method == "lqrppg":
        model, n_t, size, what = _load_model(model_path)
        predict_fn, name, min_frames = _model_predict_fn(model, n_t), "LQ-rPPG", n_t
        name_long = f"LQ-rPPG, {what}, clips of {n_t} frames at {size[0]}x{size[1]}"
    else:
        size, min_frames = None, 0
        estimator = METHODS[method](fs=info.fps, band=band_hz)
        predict_fn, name = estimator.predict, type(estimator).__name__
        name_long = name
    if method == "lqrppg" and abs(info.fps - model.fs) > 0.02 * model.fs:
        _warn(
            f"the video runs at {info.fps:g} fps but the model was trained at {model.fs:g} "
            "fps: a heartbeat spans a different number of frames than in training; resample "
            f"the video to {model.fs:g} fps for the model's accuracy"
        )
    chunk_s = _chunk_seconds(chunk, info, min_frames)
    overlap_s = min(_MAX_OVERLAP_S, chunk_s / 4)
    if chunk is None:  # chunks that end on the last frame: none redone to complete the last
        n_overlap = round(overlap_s * info.fps)
        n_chunk = tiling_chunk_frames(
            info.n_frames_declared, round(chunk_s * info.fps), n_overlap, max(1, min_frames)
        )
        chunk_s, overlap_s = n_chunk / info.fps, n_overlap / info.fps
    preprocessing = getattr(model, "metadata_", {}).get("preprocessing", {}) if size else {}
    if not face:
        crop = StreamCrop(box="frame", size=size or "mean")
    elif preprocessing.get("face_detection") == "first":
        crop = StreamCrop(box="first", size=size, scale=preprocessing.get("box_scale", 1.5))
    else:
        crop = StreamCrop(box="chunk", size=size or "mean")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EstimationWarning)
        try:
            result = stream_predict(
                video,
                predict_fn,
                chunk_seconds=chunk_s,
                overlap_seconds=overlap_s,
                fps=fps,
                crop=crop,
            )
        except (FileNotFoundError, ValueError) as exc:
            raise InputError(str(exc)) from None
    rate = float(result.fps)
    wave = result.waveform
    n = wave.size
    if len(result.starts) == 1:
        chunks = "read as one chunk"
    else:
        chunks = (
            f"{len(result.starts)} chunks of {result.chunk_frames / rate:.1f} s overlapping by "
            f"{result.overlap_frames / rate:.1f} s"
        )
    print(
        f"{video}: {info.width}x{info.height}, {rate:g} fps, {n} frames ({n / rate:.1f} s); "
        f"method {name_long}; {chunks}"
    )
    _print_face(crop, result, n, rate)
    for w in caught:
        _warn(f"{name}: {w.message}")

    bad = ~np.isfinite(wave)
    if bad.all():
        _err(f"{name} gave no waveform for any frame of the video; no heart rate")
        return 1
    if bad.any():
        _warn(f"{int(bad.sum())} of {n} frames have no waveform value; interpolated over")
        idx = np.arange(n)
        wave = wave.copy()
        wave[bad] = np.interp(idx[bad], idx[~bad], wave[~bad])
    n_win = round(window * rate)
    if n_win > n:
        raise InputError(
            f"the video is {n / rate:.1f} s long ({n} frames), shorter than the heart-rate "
            f"window (--window {window:g} s); use --window {math.floor(n / rate)} or less"
        )
    if n_win < 8:
        raise InputError(f"--window {window:g} s is only {n_win} frames; use a longer window")
    if crop.box != "frame" and np.isnan(result.faces[:, 0]).all():
        _err(
            f"no face found in any of the {len(result.starts)} chunks "
            f"({len(result.faces)} detection frames): no heart rate is measured "
            "from a video without a face; pass --no-face to average the whole frame (a skin "
            "close-up, a fingertip on the lens)"
        )
        return 1

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)  # NaN is reported as "no estimate"
        quality = estimate_hr(wave, rate, band=band_hz, return_quality=True)
        filtered = filter_pulse(wave, rate, band=band_hz)
        table = _window_table(filtered, rate, window, step, band_hz, min_snr)
    hr = quality.gated(min_snr)

    if np.isfinite(hr):
        print(
            f"\nheart rate (whole video): {hr:.1f} bpm, SNR {quality.snr:.1f} dB, confidence "
            f"{quality.confidence}"
        )
    elif np.isfinite(quality.hr):
        print(
            f"\nheart rate (whole video): no reliable heart rate (SNR {quality.snr:.1f} dB "
            f"around the spectral peak, below --min-snr {min_snr:g} dB)"
        )
    else:
        print(f"\nheart rate (whole video): no estimate ({quality.reason})")
    thresholds = ", ".join(f"{label} >= {low:g} dB" for low, label in CONFIDENCE_THRESHOLDS)
    print(
        f"\nper-window heart rate ({window:g} s windows every {step:g} s; confidence from "
        f"the SNR around each window's HR: {thresholds}, else low; no HR below --min-snr "
        f"{min_snr:g} dB):"
    )
    print(table.to_string(index=False, na_rep="-", float_format="{:.1f}".format))

    if out_path is not None:
        _write_csv(out_path, result.timestamps, result.waveform, filtered)
        print(f"\nwaveform: {out_path.resolve()}")
    if plot_path is not None:
        _figure(plot_path, filtered, rate, hr, table, band_hz, name)
        print(f"plot: {plot_path.resolve()}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0 if np.isfinite(hr) else 1


def _print_face(crop: StreamCrop, result, n: int, rate: float) -> None:
    """The face line(s): where the crop came from and which chunks fell back to the centre."""
    if crop.box == "frame":
        print("face: not cropped (--no-face); the whole frame is averaged")
        return
    found = ~np.isnan(result.faces[:, 0])
    fallback = np.flatnonzero(result.chunk_fallback)
    n_chunks = len(result.starts)
    if crop.box == "first":
        if not found.any():
            print(f"face: none found on {len(found)} detection frames")
        else:
            x0, y0, side, _ = result.chunk_boxes[np.flatnonzero(~result.chunk_fallback)[0]]
            print(
                f"face: box {side}x{side} at ({x0}, {y0}) from frame "
                f"{result.detection_frames[found][0]}, kept for the whole video (the model's "
                f"preprocessing: one Haar box from the start, enlarged {crop.scale:g}x)"
            )
        if fallback.size:
            _warn(
                f"no face found in the first {fallback.size} of {n_chunks} chunks; the centred "
                "square of the frame was used there"
            )
        return
    print(
        f"face: found on {int(found.sum())} of {len(found)} detection frames (Haar cascade once "
        f"per second on a {crop.detect_size}-px copy, one median box per chunk)"
    )
    if fallback.size and found.any():
        spans = ", ".join(
            f"{result.starts[k] / rate:.1f}-"
            f"{min(n, result.starts[k] + result.chunk_frames) / rate:.1f} s"
            for k in fallback[:10]
        )
        more = ", ..." if fallback.size > 10 else ""
        _warn(
            f"no face found in {fallback.size} of {n_chunks} chunks ({spans}{more}); the "
            "centred square of the frame was used there"
        )


def _window_table(filtered: np.ndarray, fs: float, window: float, step: float, band, min_snr):
    import pandas as pd

    times, quality = hr_windowed(filtered, fs, window, step, band=band, return_quality=True)
    n_win = round(window * fs)
    starts = np.rint(times * fs - n_win / 2).astype(int)  # hr_windowed gives the centres
    return pd.DataFrame(
        {
            "start_s": starts / fs,
            "end_s": (starts + n_win) / fs,
            "hr_bpm": quality.gated(min_snr),
            "snr_db": quality.snr,
            "confidence": [confidence_label(v) for v in quality.snr],
        }
    )


def _write_csv(path: Path, timestamps, waveform, filtered) -> None:
    import pandas as pd

    frame = pd.DataFrame({"time_s": timestamps, "waveform": waveform, "filtered": filtered})
    frame.to_csv(path, index=False, float_format="%.7g")


def _figure(path: Path, filtered, fs: float, hr: float, table, band, name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import plot_spectrum, plot_waveforms

    fig, axes = plt.subplots(3, 1, figsize=(9, 10), constrained_layout=True)
    n_show = int(min(filtered.size, _PLOT_SECONDS * fs))
    plot_waveforms({f"{name} pulse (detrended, band-passed)": filtered[:n_show]}, fs, ax=axes[0])
    shown = "whole video" if n_show == filtered.size else f"first {n_show / fs:g} s"
    axes[0].set_title(f"pulse waveform, {shown}")
    plot_spectrum({f"{name} pulse": filtered}, fs, band=band, ax=axes[1])
    if np.isfinite(hr):
        axes[1].axvline(hr, color="C3", ls="--", lw=1, label=f"HR {hr:.1f} bpm")
        axes[1].legend(loc="upper right", fontsize="small")
    axes[1].set_title("spectrum of the whole video")
    ax = axes[2]
    colours = {"high": "C2", "medium": "C1", "low": "C3", "none": "0.6"}
    for label, colour in colours.items():
        rows = table[(table["confidence"] == label) & np.isfinite(table["hr_bpm"])]
        if len(rows):
            ax.hlines(rows["hr_bpm"], rows["start_s"], rows["end_s"], colors=colour, lw=3)
            centre = (rows["start_s"] + rows["end_s"]) / 2
            ax.scatter(centre, rows["hr_bpm"], color=colour, s=14, label=f"{label} confidence")
    if np.isfinite(hr):
        ax.axhline(hr, color="k", ls="--", lw=1, label=f"whole video {hr:.1f} bpm")
    low, high = ax.get_ylim()
    if high - low < 20:  # a steady HR would otherwise fill the axis with sub-bpm wiggles
        mid = (low + high) / 2
        ax.set_ylim(mid - 10, mid + 10)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("heart rate (bpm)")
    ax.set_title("heart rate per window")
    ax.legend(loc="upper right", fontsize="small")
    fig.savefig(path, dpi=110)
    plt.close(fig)
