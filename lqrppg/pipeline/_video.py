"""From a video (a file or frames in memory) to a heart rate, in one call."""

from __future__ import annotations

import json
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lqrppg._methods import BASELINES, baseline_class
from lqrppg._validation import check_int, check_positive
from lqrppg.signal import MIN_SNR, confidence_label, estimate_hr, filter_pulse, hr_windowed
from lqrppg.signal._hr import check_min_snr

__all__ = [
    "METHODS",
    "VideoResult",
    "check_band_bpm",
    "load_model",
    "predict_frames",
    "predict_video",
]

#: Methods by name: "lqrppg" (a trained clip model) and the unsupervised methods
#: (``lqrppg._methods.BASELINES``, the one registry).
METHODS = ("lqrppg", *BASELINES)

#: Longest chunk of video read at once, in seconds (chunks hold crops only).
_CHUNK_S = 30.0
_MAX_OVERLAP_S = 2.0
#: Faces are looked for once per this many seconds.
_DETECT_EVERY_S = 1.0


def check_band_bpm(band, fps: float, *, name: str = "band") -> tuple[float, float]:
    """A heart-rate band in beats per minute, checked: ``(low, high)`` in Hz.

    Parameters
    ----------
    band : pair of float
        ``(low, high)`` in bpm, ``0 < low < high`` and ``high`` below the Nyquist rate.
    fps : float
        Frame rate of the video.
    name : str, default="band"
        Name of the argument in the messages (``"--band"`` on the command line).

    Returns
    -------
    tuple of float
        The band in Hz.

    Raises
    ------
    ValueError
        For a band that is not two increasing positive numbers, that looks like Hz (upper
        edge at most 10), or whose upper edge is at or above the Nyquist rate.

    Examples
    --------
    >>> from lqrppg.pipeline import check_band_bpm
    >>> check_band_bpm((42, 180), 30.0)
    (0.7, 3.0)
    """
    try:
        low, high = (float(b) for b in band)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be two numbers (low, high) in beats per minute; got {band!r}"
        ) from None
    if not (np.isfinite(low) and np.isfinite(high) and 0 < low < high):
        raise ValueError(f"{name} needs 0 < LOW < HIGH in beats per minute; got {low:g} {high:g}")
    if high <= 10:
        raise ValueError(
            f"{name} is in beats per minute (e.g. 40 180); got {low:g} {high:g}, which look "
            f"like Hz: did you mean {60 * low:g} {60 * high:g}?"
        )
    if high / 60.0 >= fps / 2:
        raise ValueError(
            f"{name} upper edge {high:g} bpm is at or above the Nyquist rate of this video "
            f"({30 * fps:g} bpm at {fps:g} fps)"
        )
    return low / 60.0, high / 60.0


def load_model(model=None) -> tuple[Any, str]:
    """A fitted clip model and its description: the shipped weights, a file, or as given.

    Parameters
    ----------
    model : None, str, os.PathLike or fitted estimator
        None: the pretrained weights shipped with the package
        (:meth:`lqrppg.LQRPPGRegressor.pretrained`); a path: a model saved by
        :meth:`~lqrppg.LQRPPGRegressor.save` (or written by ``lqrppg import-model``); an
        estimator: used as it is (fitted, with ``n_frames_``, ``frame_shape_``, ``fs`` and
        ``predict``).

    Returns
    -------
    model, str
        The model and a one-line description of it.

    Raises
    ------
    FileNotFoundError
        For a path that is not a file.
    ValueError
        For a file that is not a model (:class:`lqrppg.exceptions.ModelFileError`) or an
        object that is not a fitted clip model.
    """
    if model is None:
        from lqrppg.models import LQRPPGRegressor

        return (
            LQRPPGRegressor.pretrained(),
            "pretrained weights 'synthetic-32' (trained on synthetic videos only)",
        )
    if isinstance(model, str | os.PathLike):
        from lqrppg.models import LQRPPGRegressor

        path = Path(model)
        if not path.is_file():
            raise FileNotFoundError(f"model file not found: {str(path)!r}")
        return LQRPPGRegressor.load(path), f"model {str(path)!r}"
    missing = [a for a in ("n_frames_", "frame_shape_", "predict") if not hasattr(model, a)]
    if missing:
        raise ValueError(
            "model must be None (the shipped weights), a model file or a fitted clip model "
            f"(e.g. a fitted LQRPPGRegressor); got a {type(model).__name__} without "
            + ", ".join(missing)
        )
    return model, f"a fitted {type(model).__name__}"


@dataclass
class VideoResult:
    """What :func:`predict_video` and :func:`predict_frames` found in a video.

    A heart rate is given only where it is reliable (an SNR of at least ``min_snr`` dB
    around it): ``hr`` is NaN otherwise, and ``reason`` says why.

    Attributes
    ----------
    source : str
        The video file, or ``"<frames in memory>"``.
    method : str
        The method's name (``"LQ-rPPG"``, ``"POS"``, ...); ``model`` describes the model.
    hr : float
        Heart rate of the whole video in bpm; NaN when not reliable.
    snr : float
        SNR (dB) of the waveform around its spectral peak (NaN where there is none).
    confidence : str
        ``"high"``, ``"medium"``, ``"low"`` or ``"none"`` (:func:`lqrppg.signal.confidence_label`).
    reason : str
        Why there is no heart rate (empty when there is one).
    windows : pandas.DataFrame
        One row per window: ``start_s``, ``end_s``, ``hr_bpm`` (NaN when not reliable),
        ``snr_db``, ``confidence``, and in windows with a reliable HR ``mean_nn_ms`` (from
        the window's normal beats, where there are enough) and ``respiration_bpm``
        (windows of 30 s or more, where the modulations agree); NaN elsewhere.
    waveform, filtered, timestamps : ndarray of shape (n_frames,)
        The pulse as predicted (NaN frames interpolated), detrended and band-passed, and the
        time of each frame in seconds.
    fps : float
        Frame rate; ``n_frames`` frames read.
    faces : dict
        ``detection_frames`` (frames where faces were looked for), ``boxes`` (the face
        followed at each, ``[x, y, w, h]`` in frame pixels or None), ``n_found`` (faces
        found at each), ``n_faces`` (the most faces found at one instant), ``face_index``
        (None: the largest), ``chunk_starts``, ``chunk_boxes`` (the crop of each chunk) and
        ``chunk_fallback`` (chunks cropped to the frame centre for want of a face). Empty
        lists with ``face=False``.
    physiology : dict
        Beyond the mean heart rate, where it is reliable (see :func:`_physiology`):
        ``beats`` (``times_s``, ``quality`` per beat, ``n_beats``, ``n_flagged``; empty
        without a reliable heart rate), ``hrv`` (``mean_nn_ms`` and ``mean_hr_bpm`` from
        the normal beats where :func:`lqrppg.signal.hrv` gives them; ``sdnn_ms``,
        ``rmssd_ms``, ``pnn50``, ``lf_hf`` are not given from camera waveforms, with the
        reason in ``reasons``), ``respiration`` (``value`` breaths/min or None, ``quality``,
        ``reason``: :func:`lqrppg.signal.respiration_rate`).
    warnings : list of str
        The warnings raised while the video was processed.
    settings : dict
        ``window``, ``step``, ``band`` (bpm), ``min_snr``, ``chunk_s``, ``overlap_s``.
    elapsed_s : float
        Wall time of the call.
    """

    source: str
    method: str
    model: str | None
    hr: float
    snr: float
    confidence: str
    reason: str
    windows: Any
    waveform: np.ndarray
    filtered: np.ndarray
    timestamps: np.ndarray
    fps: float
    n_frames: int
    faces: dict = field(default_factory=dict)
    physiology: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    elapsed_s: float = float("nan")

    @property
    def reliable(self) -> bool:
        """Whether a whole-video heart rate is given."""
        return bool(np.isfinite(self.hr))

    @property
    def duration_s(self) -> float:
        """Length of the video read, in seconds."""
        return self.n_frames / self.fps

    def to_dict(self) -> dict:
        """The result as plain Python values (lists, floats, None for NaN), JSON-ready."""

        def clean(v):
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, list | tuple):
                return [clean(x) for x in v]
            if isinstance(v, np.ndarray):
                return clean(v.tolist())
            if isinstance(v, np.generic):
                return clean(v.item())
            if isinstance(v, float) and not math.isfinite(v):
                return None
            return v

        windows = self.windows
        return clean(
            {
                "source": self.source,
                "method": self.method,
                "model": self.model,
                "hr_bpm": self.hr,
                "snr_db": self.snr,
                "confidence": self.confidence,
                "reliable": self.reliable,
                "reason": self.reason,
                "fps": self.fps,
                "n_frames": self.n_frames,
                "duration_s": self.duration_s,
                "windows": {c: windows[c].tolist() for c in windows.columns},
                "faces": self.faces,
                "physiology": self.physiology,
                "warnings": list(self.warnings),
                "settings": self.settings,
                "elapsed_s": self.elapsed_s,
                "timestamps_s": self.timestamps,
                "waveform": self.waveform,
                "filtered": self.filtered,
            }
        )

    def to_json(self, path=None, *, indent: int | None = 1) -> str:
        """The result as JSON (NaN as null); written atomically to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            from lqrppg._files import atomic_write

            with atomic_write(Path(path)) as tmp:
                Path(tmp).write_text(text + "\n")
        return text

    @classmethod
    def from_dict(cls, data: dict) -> VideoResult:
        """The result back from :meth:`to_dict` (or ``json.loads`` of :meth:`to_json`)."""
        import pandas as pd

        def arr(v):
            return np.array([np.nan if x is None else x for x in v], dtype=np.float64)

        win = data["windows"]
        windows = pd.DataFrame(
            {
                "start_s": arr(win["start_s"]),
                "end_s": arr(win["end_s"]),
                "hr_bpm": arr(win["hr_bpm"]),
                "snr_db": arr(win["snr_db"]),
                "confidence": list(win["confidence"]),
                "mean_nn_ms": arr(win["mean_nn_ms"]),
                "respiration_bpm": arr(win["respiration_bpm"]),
            }
        )

        def num(v):
            return float("nan") if v is None else float(v)

        return cls(
            source=data["source"],
            method=data["method"],
            model=data["model"],
            hr=num(data["hr_bpm"]),
            snr=num(data["snr_db"]),
            confidence=data["confidence"],
            reason=data["reason"],
            windows=windows,
            waveform=arr(data["waveform"]),
            filtered=arr(data["filtered"]),
            timestamps=arr(data["timestamps_s"]),
            fps=float(data["fps"]),
            n_frames=int(data["n_frames"]),
            faces=data["faces"],
            physiology=data["physiology"],
            warnings=list(data["warnings"]),
            settings=data["settings"],
            elapsed_s=num(data["elapsed_s"]),
        )

    def __repr__(self) -> str:
        hr = f"{self.hr:.1f} bpm" if self.reliable else f"none ({self.reason})"
        return (
            f"VideoResult({self.source!r}, {self.method}: HR {hr}, SNR {self.snr:.1f} dB, "
            f"{len(self.windows)} windows, {self.n_frames} frames at {self.fps:g} fps)"
        )


class _Progress:
    """Chunks predicted, on stderr: a bar redrawn in place on a terminal, else lines."""

    def __init__(self, total: int | None, n_frames: int | None, fps: float, stream=None):
        self.total = total
        self.n_frames = n_frames
        self.fps = fps
        self.stream = sys.stderr if stream is None else stream
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()
        self._line(0, 0)

    def _line(self, done: int, end: int) -> None:
        seconds = f"{end / self.fps:.0f}"
        if self.n_frames:
            seconds += f" of {self.n_frames / self.fps:.0f}"
        if self.total:
            width = 24
            filled = round(width * done / self.total)
            bar = "[" + "#" * filled + "." * (width - filled) + "]"
            text = f"{bar} {done}/{self.total} chunks, {seconds} s read"
        else:
            text = f"{done} chunks, {seconds} s read"
        text += f", {time.perf_counter() - self.t0:.0f} s"
        if self.tty:
            self.stream.write("\r" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, k: int, end: int) -> None:
        self._line(k + 1, end)

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _n_chunks(n_frames: int, chunk: int, overlap: int) -> int | None:
    if n_frames < 1:
        return None
    if n_frames <= chunk:
        return 1
    return math.ceil((n_frames - chunk) / (chunk - overlap)) + 1


def _check_seconds(value, name: str) -> float:
    """A duration in seconds: a finite number > 0 (``predict_video``, ``live_hr``, the CLI)."""
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds; got {value!r}")
    return float(value)


def _window_table(filtered, fs, window, step, band_hz, min_snr):
    import pandas as pd

    times, quality = hr_windowed(filtered, fs, window, step, band=band_hz, return_quality=True)
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


def predict_video(
    path,
    *,
    method: str = "lqrppg",
    model=None,
    window: float = 10.0,
    step: float | None = None,
    face: bool = True,
    face_index: int | None = None,
    band=(40.0, 180.0),
    min_snr: float = MIN_SNR,
    fps: float | None = None,
    chunk: float | None = None,
    progress=True,
) -> VideoResult:
    """Heart rate, pulse waveform and face boxes of a video file, in one call.

    The video is streamed (:func:`lqrppg.video.stream_predict`): each frame is cropped to
    the face as it is decoded (:class:`lqrppg.video.StreamCrop`: OpenCV's Haar cascade once
    per second on a 160-px copy, one median box per chunk of at most 30 s), so memory is
    bounded by a chunk of crops whatever the frame size and length. The pulse comes from
    the trained model (resized crops, clips of its length joined by overlap-add, see
    :func:`predict_recording`) or from an unsupervised method (the mean colour of each
    crop). The heart rate of the whole video and of each window is
    :func:`lqrppg.signal.estimate_hr` with its SNR, and is given only at ``min_snr`` dB or
    more; otherwise it is NaN and the result says why.

    Parameters
    ----------
    path : str or os.PathLike
        Video file (any container and codec OpenCV's FFmpeg backend decodes).
    method : str, default="lqrppg"
        ``"lqrppg"`` (a trained clip model, see ``model``) or an unsupervised method:
        ``"pos"``, ``"chrom"``, ``"green"``, ``"lgi"``, ``"pbv"``, ``"ica"``, ``"omit"``,
        ``"auto"`` (:mod:`lqrppg.baselines`).
    model : None, str, os.PathLike or fitted estimator
        With ``method="lqrppg"``: None for the shipped weights, a model file, or a fitted
        model (see :func:`load_model`). Models whose preprocessing is one face box from
        the start (the LQ-rPPG authors' released models) get that box.
    window : float, default=10.0
        Seconds per heart-rate window.
    step : float, optional
        Seconds between window starts (default: ``window``, windows that tile the video).
    face : bool, default=True
        Crop the face; False averages (or resizes) the whole frame (a skin close-up).
    face_index : int, optional
        With several faces in view, follow the ``N``-th from the left (0 the leftmost);
        None follows the largest. See :class:`lqrppg.video.StreamCrop`.
    band : pair of float, default=(40, 180)
        Heart-rate band in bpm.
    min_snr : float, default=:data:`lqrppg.signal.MIN_SNR`
        SNR (dB) from which a heart rate is given; ``-inf`` gives every estimate.
    fps : float, optional
        Frame rate, needed when the container gives none.
    chunk : float, optional
        Seconds of video per chunk (default: at most 30 s, as long as needed for the chunks
        to end on the last frame; never shorter than one clip of the model).
    progress : bool or callable, default=True
        True: the chunks predicted on stderr as they are (a bar redrawn on a terminal);
        a callable ``progress(done, total)`` is called instead (``total`` None when the
        container gives no frame count); False: nothing.

    Returns
    -------
    VideoResult

    Raises
    ------
    FileNotFoundError
        For a missing video or model file.
    ValueError
        For bad arguments, a video that cannot be read, or one shorter than a window or a
        clip of the model.

    See Also
    --------
    predict_frames : the same for frames already in memory.

    Examples
    --------
    >>> import os, tempfile
    >>> from lqrppg.datasets import make_synthetic_rppg
    >>> from lqrppg.video import write_video
    >>> data = make_synthetic_rppg(n_subjects=1, duration=12, frame_size=(64, 64),
    ...                            random_state=0)
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = write_video(os.path.join(tmp.name, "face.mkv"), data.videos[0], data.fs)
    >>> result = predict_video(path, method="pos", progress=False)
    >>> bool(abs(result.hr - data.hr[0].mean()) < 3), result.confidence
    (True, 'high')
    >>> result.windows.columns.tolist()[:5]
    ['start_s', 'end_s', 'hr_bpm', 'snr_db', 'confidence']
    >>> tmp.cleanup()
    """
    from lqrppg.video import video_info
    from lqrppg.video._io import _check_path

    p = _check_path(path)
    info = video_info(p, fps=fps)
    return _predict(p, str(p), info.fps, info.n_frames_declared, method, model, window, step,
                    face, face_index, band, min_snr, chunk, progress)  # fmt: skip


def predict_frames(
    frames,
    fps: float,
    *,
    method: str = "lqrppg",
    model=None,
    window: float = 10.0,
    step: float | None = None,
    face: bool = True,
    face_index: int | None = None,
    band=(40.0, 180.0),
    min_snr: float = MIN_SNR,
    chunk: float | None = None,
    progress=False,
) -> VideoResult:
    """:func:`predict_video` for frames already in memory.

    The frames go through the same chunks, face crops and estimates as a file's decoded
    frames would (one frame converted at a time; the input is not modified).

    Parameters
    ----------
    frames : array-like of shape (T, H, W, 3), uint8
        RGB frames.
    fps : float
        Their frame rate (> 0).
    method, model, window, step, face, face_index, band, min_snr, chunk, progress
        As :func:`predict_video` (``progress`` off by default).

    Returns
    -------
    VideoResult
        With ``source`` ``"<frames in memory>"`` and frame-index timestamps.

    Examples
    --------
    >>> from lqrppg.datasets import make_synthetic_rppg
    >>> data = make_synthetic_rppg(n_subjects=1, duration=12, frame_size=(64, 64),
    ...                            random_state=0)
    >>> result = predict_frames(data.videos[0], data.fs, method="chrom")
    >>> bool(abs(result.hr - data.hr[0].mean()) < 3)
    True
    """
    from lqrppg.video._io import _InMemory

    arr = np.asarray(frames)
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8 or 0 in arr.shape:
        raise ValueError(
            "frames must be RGB frames of shape (T, H, W, 3) and dtype uint8; got shape "
            f"{arr.shape} and dtype {arr.dtype}"
        )
    rate = check_positive(fps, "fps")
    source = _InMemory(arr, rate)
    return _predict(source, "<frames in memory>", rate, len(arr), method, model, window,
                    step, face, face_index, band, min_snr, chunk, progress)  # fmt: skip


def _predict(source, name, rate, n_declared, method, model, window, step, face, face_index,
             band, min_snr, chunk, progress) -> VideoResult:  # fmt: skip
    from lqrppg.exceptions import EstimationWarning
    from lqrppg.video import StreamCrop, tiling_chunk_frames
    from lqrppg.video._stream import _stream_predict

    t0 = time.perf_counter()
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if method != "lqrppg" and model is not None:
        raise ValueError(f"model is only used with method='lqrppg', not method={method!r}")
    window = _check_seconds(window, "window")
    step = window if step is None else _check_seconds(step, "step")
    check_min_snr(min_snr)
    if face_index is not None:
        check_int(face_index, "face_index", 0, expected="None or an integer >= 0")
    if face_index is not None and not face:
        raise ValueError("face_index needs face=True (faces are not looked for otherwise)")
    band_hz = check_band_bpm(band, rate)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method == "lqrppg":
            from lqrppg.pipeline import predict_recording

            fitted, description = load_model(model)
            n_clip, size = int(fitted.n_frames_), tuple(int(v) for v in fitted.frame_shape_)
            model_fs = float(getattr(fitted, "fs", rate))
            if abs(rate - model_fs) > 0.02 * model_fs:
                warnings.warn(
                    f"the video runs at {rate:g} fps but the model was trained at {model_fs:g} "
                    "fps: a heartbeat spans a different number of frames than in training; "
                    f"resample the video to {model_fs:g} fps for the model's accuracy",
                    UserWarning,
                    stacklevel=2,
                )

            def predict_fn(clip):
                if clip.shape[1] < n_clip:
                    raise ValueError(
                        f"the video has {clip.shape[1]} frames, fewer than the {n_clip} frames "
                        "of one clip of the model"
                    )
                return predict_recording(fitted, clip[0])[None]

            label = "LQ-rPPG"
            preprocessing = getattr(fitted, "metadata_", {}).get("preprocessing", {})
        else:
            estimator = baseline_class(method)(fs=rate, band=band_hz)
            predict_fn, label, description = estimator.predict, type(estimator).__name__, None
            n_clip, size, preprocessing = 0, "mean", {}

        if chunk is not None:
            chunk_s = _check_seconds(chunk, "chunk")
            if chunk_s * rate < n_clip:
                raise ValueError(
                    f"chunk {chunk_s:g} s is shorter than one model clip ({n_clip} frames = "
                    f"{n_clip / rate:g} s)"
                )
        else:
            chunk_s = max(_CHUNK_S, n_clip / rate)
        overlap_s = min(_MAX_OVERLAP_S, chunk_s / 4)
        n_chunk, n_overlap = round(chunk_s * rate), round(overlap_s * rate)
        if chunk is None:  # chunks that end on the last frame: none redone to complete the last
            n_chunk = tiling_chunk_frames(n_declared, n_chunk, n_overlap, max(1, n_clip))
        chunk_s, overlap_s = n_chunk / rate, n_overlap / rate

        common = {"size": size, "detect_every": _DETECT_EVERY_S}
        if not face:
            crop = StreamCrop(box="frame", **common)
        elif preprocessing.get("face_detection") == "first":
            scale = preprocessing.get("box_scale", 1.5)
            crop = StreamCrop(box="first", scale=scale, face_index=face_index, **common)
        else:
            crop = StreamCrop(box="chunk", face_index=face_index, **common)

        n_win = round(window * rate)
        if 0 < n_declared < n_win:  # known before the video is read
            raise ValueError(
                f"the video is {n_declared / rate:.1f} s long ({n_declared} frames), shorter "
                f"than the heart-rate window ({window:g} s); use a window of "
                f"{math.floor(n_declared / rate)} s or less"
            )
        total = _n_chunks(n_declared, n_chunk, n_overlap)
        reporter, on_chunk = None, None
        if callable(progress):
            progress(0, total)

            def on_chunk(k, end):
                progress(k + 1, total)
        elif progress:
            reporter = on_chunk = _Progress(total, n_declared if n_declared > 0 else None, rate)
        try:
            out = _stream_predict(source, rate, predict_fn, chunk_s, overlap_s, crop=crop,
                                  on_chunk=on_chunk)  # fmt: skip
        finally:
            if reporter is not None:
                reporter.close()
        wave = out.waveform
        n = wave.size
        reason = ""
        bad = ~np.isfinite(wave)
        if bad.all():
            reason = f"{label} gave no waveform for any frame of the video"
            wave = np.zeros(n)
        elif bad.any():
            warnings.warn(
                f"{int(bad.sum())} of {n} frames have no waveform value; interpolated over",
                EstimationWarning,
                stacklevel=2,
            )
            idx = np.arange(n)
            wave = wave.copy()
            wave[bad] = np.interp(idx[bad], idx[~bad], wave[~bad])
        n_win = round(window * rate)
        if n_win > n:
            raise ValueError(
                f"the video is {n / rate:.1f} s long ({n} frames), shorter than the heart-rate "
                f"window ({window:g} s); use a window of {math.floor(n / rate)} s or less"
            )
        if n_win < 8:
            raise ValueError(f"a window of {window:g} s is only {n_win} frames; use a longer one")
        faces = _faces(out, crop, face_index)
        followed = any(b is not None for b in faces["boxes"])
        if face and not followed and faces["n_faces"] and not reason:
            reason = (
                f"face_index {face_index} asks for face {face_index + 1} from the left, but at "
                f"most {faces['n_faces']} face(s) were found at one detection frame"
            )
        if face and not followed and not reason:
            reason = (
                f"no face found in any of the {len(out.starts)} chunks "
                f"({len(faces['detection_frames'])} detection frames): no heart rate is "
                "measured from a video without a face; pass face=False (--no-face) to average "
                "the whole frame (a skin close-up, a fingertip on the lens)"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)  # NaN is reported as a reason
            quality = estimate_hr(wave, rate, band=band_hz, return_quality=True)
            filtered = filter_pulse(wave, rate, band=band_hz)
            table = _window_table(filtered, rate, window, step, band_hz, min_snr)
        hr = quality.gated(min_snr)
        if reason:  # no face or no waveform: nothing is given
            hr = float("nan")
            table["hr_bpm"] = np.nan
            table["confidence"] = "none"
        elif not np.isfinite(hr):
            if np.isfinite(quality.hr):
                reason = (
                    f"SNR {quality.snr:.1f} dB around the spectral peak, below min_snr "
                    f"{min_snr:g} dB"
                )
            else:
                reason = str(quality.reason) or "no spectral peak in the band"
        _window_physiology(wave, rate, table)
    messages = []
    for w in caught:
        messages.append(str(w.message))
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return VideoResult(
        source=name,
        method=label,
        model=description,
        hr=float(hr),
        snr=float(quality.snr),
        confidence=str(quality.confidence) if not reason else "none",
        reason=reason,
        windows=table,
        waveform=wave if not bad.all() else np.full(n, np.nan),
        filtered=filtered,
        timestamps=out.timestamps,
        fps=rate,
        n_frames=n,
        faces=faces,
        physiology=_physiology(wave, rate, reason),
        warnings=messages,
        settings={
            "window": window,
            "step": step,
            "band": [band_hz[0] * 60.0, band_hz[1] * 60.0],
            "min_snr": float(min_snr),
            "chunk_s": chunk_s,
            "overlap_s": overlap_s,
            "face": bool(face),
            "box": crop.box,
            "box_scale": float(crop.scale),
        },
        elapsed_s=time.perf_counter() - t0,
    )


def _faces(out, crop, face_index) -> dict:
    """The face part of a result from :func:`stream_predict`'s output."""
    if crop.box == "frame":
        return {"detection_frames": [], "boxes": [], "n_found": [], "n_faces": 0,
                "face_index": None, "chunk_starts": out.starts.tolist(),
                "chunk_boxes": out.chunk_boxes.tolist(),
                "chunk_fallback": out.chunk_fallback.tolist()}  # fmt: skip
    boxes = [None if np.isnan(f[0]) else [int(v) for v in f] for f in out.faces]
    return {
        "detection_frames": out.detection_frames.tolist(),
        "boxes": boxes,
        "n_found": out.n_faces.tolist(),
        "n_faces": int(out.n_faces.max()) if out.n_faces.size else 0,
        "face_index": face_index,
        "chunk_starts": out.starts.tolist(),
        "chunk_boxes": out.chunk_boxes.tolist(),
        "chunk_fallback": out.chunk_fallback.tolist(),
    }


#: Why SDNN, RMSSD, pNN50 and LF/HF are not given from a camera waveform.
_HRV_NOT_GIVEN = (
    "not given from camera waveforms: on synthetic videos with known beats, the variability "
    "statistics that passed lqrppg.signal.hrv's checks on the shipped model's waveforms were "
    "off by 18.6 ms (SDNN) and 36.4 ms (RMSSD) on average (docs/benchmarks/hrv.md)"
)


def _window_physiology(wave: np.ndarray, fs: float, table) -> None:
    """Add ``mean_nn_ms`` and ``respiration_bpm`` to the window table, in place.

    Only windows with a reliable heart rate get them, from their own segment of the
    waveform: the mean NN interval where :func:`lqrppg.signal.hrv` gives one (at least 10
    intervals, at most 20 % flagged), the respiration rate where the window is at least
    30 s long and :func:`lqrppg.signal.respiration_rate` gives one; NaN elsewhere (the
    whole-video ``physiology`` says why for the video).
    """
    from lqrppg.signal import detect_beats, hrv, respiration_rate

    mean_nn = np.full(len(table), np.nan)
    breathing = np.full(len(table), np.nan)
    for i, (start, end, hr) in enumerate(
        zip(table["start_s"], table["end_s"], table["hr_bpm"], strict=True)
    ):
        if not np.isfinite(hr):
            continue
        segment = wave[round(start * fs) : round(end * fs)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NaN where not given
            beats = detect_beats(segment, fs)
            mean_nn[i] = hrv(beats).mean_nn
            if end - start >= 30.0:
                breathing[i] = respiration_rate(segment, fs, beats=beats).value
    table["mean_nn_ms"] = mean_nn
    table["respiration_bpm"] = breathing


def _physiology(wave: np.ndarray, fs: float, reason: str) -> dict:
    """Beats, mean NN interval and respiration rate of a waveform whose HR is reliable.

    Without a reliable heart rate (``reason`` not empty) nothing is given. Beats come from
    :func:`lqrppg.signal.detect_beats` (all kept, each with its quality), the mean NN interval
    from :func:`lqrppg.signal.hrv` over the normal beats (NaN with its reason where the
    beats are too few or too many are flagged), and the respiration rate from
    :func:`lqrppg.signal.respiration_rate` (NaN with its reason where the modulations do
    not agree). SDNN, RMSSD, pNN50 and LF/HF are withheld (``_HRV_NOT_GIVEN``).
    """
    from lqrppg.signal import detect_beats, hrv, respiration_rate

    withheld = {k: _HRV_NOT_GIVEN for k in ("sdnn_ms", "rmssd_ms", "pnn50", "lf_hf")}
    empty_hrv = {"mean_nn_ms": None, "mean_hr_bpm": None, "sdnn_ms": None, "rmssd_ms": None,
                 "pnn50": None, "lf_hf": None}  # fmt: skip
    if reason:
        why = f"no reliable heart rate ({reason})"
        return {
            "beats": {},
            "hrv": {**empty_hrv, "reasons": {"mean_nn_ms": why, **withheld}},
            "respiration": {"value": None, "quality": 0.0, "reason": why},
        }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reasons are kept in the result
        beats = detect_beats(wave, fs)
        variability = hrv(beats)
        breathing = respiration_rate(wave, fs, beats=beats)
    flagged = int(np.sum(beats.quality != "normal"))
    reasons = (
        {"mean_nn_ms": variability.reasons.get("mean_nn", "")}
        if not np.isfinite(variability.mean_nn)
        else {}
    )
    return {
        "beats": {
            "times_s": beats.times,
            "quality": [str(q) for q in beats.quality],
            "n_beats": beats.n_beats,
            "n_flagged": flagged,
        },
        "hrv": {
            **empty_hrv,
            "mean_nn_ms": float(variability.mean_nn),
            "mean_hr_bpm": float(variability.mean_hr),
            "reasons": {**reasons, **withheld},
        },
        "respiration": {
            "value": float(breathing.value),
            "quality": float(breathing.quality),
            "reason": str(breathing.reason),
        },
    }
