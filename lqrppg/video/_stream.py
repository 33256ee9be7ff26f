"""Pulse prediction over long videos, chunk by chunk, with bounded memory."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from sklearn.utils import Bunch

from ._clips import overlap_add
from ._io import _check_path, iter_video_chunks, video_info
from ._validation import check_choice

__all__ = ["stream_predict"]


def _frames_in(seconds, fps: float, name: str, low: int) -> int:
    ok = isinstance(seconds, int | float | np.integer | np.floating) and not isinstance(
        seconds, bool
    )
    if not ok or not np.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{name} must be a non-negative number of seconds; got {seconds!r}")
    n = math.floor(float(seconds) * fps + 0.5)
    if n < low:
        raise ValueError(
            f"{name}={seconds!r} s is {n} frames at {fps:g} fps; at least {low} needed"
        )
    return n


def _apply_transform(transform, clip: np.ndarray) -> np.ndarray:
    if transform is None:
        return clip
    if hasattr(transform, "transform"):
        return np.asarray(transform.transform(clip))
    return np.asarray(transform(clip))


def stream_predict(
    path,
    predict_fn: Callable[[np.ndarray], np.ndarray],
    *,
    chunk_seconds: float,
    overlap_seconds: float = 0.0,
    transform=None,
    window: str = "hann",
    fps: float | None = None,
) -> Bunch:
    """Predict a pulse waveform over a whole video file, one chunk of frames at a time.

    The video is read by :func:`iter_video_chunks` in chunks of
    ``round(chunk_seconds * fps)`` frames that overlap by ``round(overlap_seconds * fps)``;
    each chunk goes through ``transform`` (e.g. a :class:`FaceCropper` and a
    :class:`Resizer` in a Pipeline) and ``predict_fn``, and the chunk waveforms are joined by
    :func:`overlap_add`. Only a few chunks of frames (the reader's buffer, the current and
    the previous chunk) are held at a time, whatever the length of the video; the waveform
    itself, one float per frame, is kept whole.

    When the frames after the last full chunk are too few for a chunk of their own, the
    last chunk is taken to end on the last frame (as ``cut_clips(remainder="last")``), so
    every clip that ``predict_fn`` sees has the same length; a video shorter than one chunk
    is predicted as one clip of all its frames.

    Parameters
    ----------
    path : str or os.PathLike
        Video file.
    predict_fn : callable
        Maps a clip of shape (1, T, h, w, 3) to its waveform of shape (1, T) (or (T,)),
        e.g. ``POS(fs=fps).predict`` or a fitted model's ``predict``.
    chunk_seconds : float
        Chunk length in seconds (at least 2 frames).
    overlap_seconds : float, default=0.0
        Overlap of consecutive chunks in seconds, shorter than a chunk.
    transform : transformer or callable, optional
        Applied to each clip (1, T, H, W, 3) before ``predict_fn``: an object with
        ``transform`` (used as is; stateless transformers need no ``fit``) or a function.
        Per-chunk transformers such as ``FaceCropper(detect="first")`` detect anew in each
        chunk.
    window : {"hann", "boxcar"}, default="hann"
        Weights of :func:`overlap_add` across each chunk.
    fps : float, optional
        Frame rate, needed when the container gives none (see :func:`read_video`).

    Returns
    -------
    Bunch
        ``waveform`` (T,) float64 (NaN where ``predict_fn`` gave NaN), ``fps``,
        ``timestamps`` (T,) seconds and ``timestamp_source`` (as :func:`read_video`;
        "frame_index" unless every chunk had usable container times), ``starts`` of the
        clips, ``chunk_frames`` and ``overlap_frames``.

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`read_video`; ``ValueError`` also for bad chunk settings or a
        ``predict_fn`` output of the wrong shape.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from lqrppg.video import stream_predict, write_video
    >>> tmp = tempfile.TemporaryDirectory()
    >>> grey = np.full((50, 8, 8, 3), 90, np.uint8)
    >>> path = write_video(os.path.join(tmp.name, "v.avi"), grey, fps=10.0)
    >>> def mean_green(clip):
    ...     return clip[..., 1].mean(axis=(2, 3))
    >>> out = stream_predict(path, mean_green, chunk_seconds=2.0, overlap_seconds=1.0)
    >>> out.waveform.shape, out.starts.tolist()
    ((50,), [0, 10, 20, 30])
    >>> tmp.cleanup()
    """
    p = _check_path(path)
    if not callable(predict_fn):
        raise ValueError(f"predict_fn must be callable; got {type(predict_fn).__name__}")
    check_choice(window, "window", ("hann", "boxcar"))
    rate = video_info(p, fps=fps).fps
    chunk = _frames_in(chunk_seconds, rate, "chunk_seconds", 2)
    overlap = _frames_in(overlap_seconds, rate, "overlap_seconds", 0)
    if overlap >= chunk:
        raise ValueError(
            f"overlap_seconds ({overlap_seconds!r} s = {overlap} frames) must be shorter than "
            f"chunk_seconds ({chunk_seconds!r} s = {chunk} frames)"
        )

    waves: list[np.ndarray] = []
    starts: list[int] = []
    stamps: list[np.ndarray] = []
    sources: set[str] = set()
    prev = None  # the previous chunk, to complete a short last chunk
    n_frames = 0
    for piece in iter_video_chunks(p, chunk, overlap=overlap, fps=rate):
        start, frames = piece.start, piece.frames
        stamps.append(piece.timestamps[n_frames - start :])  # frames not seen before
        sources.add(piece.timestamp_source)
        n_frames = start + len(frames)
        if len(frames) < chunk and prev is not None:
            shared = prev.start + len(prev.frames) - start
            frames = np.concatenate([prev.frames, frames[shared:]])[-chunk:]
            start = n_frames - chunk
        clip = _apply_transform(transform, frames[None])
        wave = np.asarray(predict_fn(clip), dtype=np.float64)
        if wave.shape not in ((1, len(frames)), (len(frames),)):
            raise ValueError(
                f"predict_fn must return the waveform of the clip, shape (1, {len(frames)}) or "
                f"({len(frames)},); got shape {wave.shape} for the chunk at frame {start}"
            )
        waves.append(wave.reshape(-1))
        starts.append(start)
        prev = piece
    waveform = overlap_add(np.stack(waves), np.asarray(starts), n_frames, window=window)
    ts = np.concatenate(stamps)
    source = "container"
    if sources != {"container"} or not np.all(np.diff(ts) > 0):
        ts, source = np.arange(n_frames) / rate, "frame_index"
    return Bunch(
        waveform=waveform,
        fps=rate,
        timestamps=ts,
        timestamp_source=source,
        starts=np.asarray(starts, dtype=np.int64),
        chunk_frames=chunk,
        overlap_frames=overlap,
    )
