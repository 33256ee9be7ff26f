"""Pulse prediction over long videos, chunk by chunk, with bounded memory."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from sklearn.utils import Bunch

from .._validation import check_choice, check_int, check_positive, check_size
from ._clips import overlap_add
from ._detect import detect_faces
from ._face import _square_box
from ._io import _check_path, _Frames, _in_background, _read_chunks, video_info

__all__ = ["StreamCrop", "stream_predict", "tiling_chunk_frames"]


class StreamCrop:
    """What :func:`stream_predict` keeps of each frame as it reads it: a face crop or its mean.

    Passed as ``stream_predict(..., crop=StreamCrop(...))``, it makes the streaming crop
    every frame as soon as it is decoded (and resize it, or average it), so that only crops
    are held: memory no longer depends on the frame size, and a 3840 x 2160 video costs what
    a 640 x 480 one does. One box serves all the frames of a chunk (a steady crop, which
    does not jitter), and frames shared by two chunks are cropped once for each.

    Faces are found by :func:`detect_faces` (OpenCV's Haar cascade) on a grey copy of the
    frame shrunk to a ``detect_size``-pixel shorter side, at the *detection instants*: frames
    ``0, k, 2k, ...`` of the video with ``k = round(detect_every * fps)``, each once however
    many chunks hold it. Once a face has been found, the next instant first searches faces
    of 2/3 to 3/2 times its side (the cascade's minimum and maximum sizes; the small sizes
    are most of its work), and all sizes only when none is found there. The largest face
    found (or the ``face_index``-th from the left) is made square (side = the larger of its
    width and height), enlarged ``scale`` times around its centre and placed inside the
    frame, as :class:`FaceCropper` does.

    Parameters
    ----------
    box : {"chunk", "first", "frame"}, default="chunk"
        The box of each chunk.

        - ``"chunk"``: the median centre and side of the faces found at the detection
          instants of the last chunk-length of video up to the chunk's first frame (frames
          ``start - chunk_frames + 1 .. start``): a box known when the chunk's first frame
          is read, so that it can be cropped at once, and which follows a face that moves
          over the video chunk after chunk (by up to a chunk's length later than the median
          of the chunk's own detections would). Detection instants without a face do not
          vote; where none of them has a face, the largest centred square of the frame is
          used and the chunk is reported (``chunk_fallback``).
        - ``"first"``: the box of the first face found, kept to the end of the video (the
          preprocessing of the LQ-rPPG authors and of rPPG-Toolbox without dynamic
          detection); detection stops once a face is found. Chunks that start before it
          are cropped to the centred square and reported.
        - ``"frame"``: the whole frame, no detection.
    size : "mean" or (int, int), default="mean"
        ``"mean"``: the mean R, G, B of each crop, (T, 3) float64 (as
        :func:`lqrppg.baselines.spatial_mean`, to the last bit: sums of the 8-bit values
        divided once), the input of the unsupervised methods. ``(height, width)``: each crop
        resized with ``cv2.INTER_AREA`` (as :class:`Resizer`), frames of shape (T, height,
        width, 3) uint8, e.g. a model's input size. (Crops at their own size are not
        offered: they would make the memory depend on the frame size again, and the clip
        that completes a short last chunk joins crops of two chunks' boxes.)
    detect_every : float, default=1.0
        Seconds between detection instants (> 0; at least one frame).
    scale : float, default=1.5
        Enlargement of the face box around its centre (rPPG-Toolbox uses 1.5).
    detect_size : int or None, default=160
        Shorter side in pixels of the copy the cascade runs on (see
        :func:`detect_faces`'s ``downscale_to``); faces smaller than ``24 / detect_size``
        of the frame's shorter side (15 % at 160) are not found. None detects on the
        full frame (at 640 x 480, ten times the work of 160).
    min_face_size : int, default=30
        Smallest face side, in pixels of the frame, that is looked for (>= 1).
    min_neighbors : int, default=3
        Raw detections a face needs (OpenCV's ``minNeighbors``, >= 1).
    face_index : int or None, default=None
        Which face to follow when several are in view: None the largest at each detection
        instant; ``N`` the ``N``-th face from the left (0 the leftmost, by the centres of
        the faces found at the instant). An instant with fewer than ``N + 1`` faces does not
        vote for the box. The number of faces found at each instant is reported
        (``n_faces`` of :func:`stream_predict`); with the size-restricted search after the
        first face, it counts the faces of about the followed face's size.

    See Also
    --------
    FaceCropper : face crops of clips already in memory.

    Examples
    --------
    >>> from lqrppg.video import StreamCrop
    >>> StreamCrop(size=(32, 32))
    StreamCrop(box='chunk', size=(32, 32))
    >>> StreamCrop(box="frame")
    StreamCrop(box='frame', size='mean')
    """

    def __init__(
        self,
        *,
        box: str = "chunk",
        size="mean",
        detect_every: float = 1.0,
        scale: float = 1.5,
        detect_size: int | None = 160,
        min_face_size: int = 30,
        min_neighbors: int = 3,
        face_index: int | None = None,
    ):
        self.box = box
        self.size = size
        self.detect_every = detect_every
        self.scale = scale
        self.detect_size = detect_size
        self.min_face_size = min_face_size
        self.min_neighbors = min_neighbors
        self.face_index = face_index

    def __repr__(self) -> str:
        return f"StreamCrop(box={self.box!r}, size={self.size!r})"

    def _run(self, fps: float, chunk_frames: int) -> _CropRun:
        """Check the parameters; the per-video state of one streaming run."""
        check_choice(self.box, "box", ["chunk", "first", "frame"])
        if not (isinstance(self.size, str) and self.size == "mean"):
            try:
                check_size(self.size, "size")
            except ValueError:
                raise ValueError(
                    f"size must be 'mean' or a pair of positive integers (height, width); got "
                    f"{self.size!r}"
                ) from None
        check_positive(self.detect_every, "detect_every")
        check_positive(self.scale, "scale")
        if self.detect_size is not None:
            check_int(self.detect_size, "detect_size", 24)
        check_int(self.min_face_size, "min_face_size", 1)
        check_int(self.min_neighbors, "min_neighbors", 1)
        if self.face_index is not None:
            check_int(self.face_index, "face_index", 0)
        return _CropRun(self, fps, chunk_frames)


#: Detection first looks for faces between 1/_NEAR and _NEAR times the last face's side.
_NEAR = 1.5


class _CropRun:
    """The reducer of :func:`stream_predict` for a :class:`StreamCrop` (see ``_io._Frames``).

    Keys are ``(x, y, w, h, fallback)``: the chunk's box and whether it is the centred
    square for want of a face; ``detections`` holds the face found (or NaN) at each
    detection instant.
    """

    reuses_frames = True

    def __init__(self, spec: StreamCrop, fps: float, chunk_frames: int):
        self.spec = spec
        self.every = max(1, round(float(spec.detect_every) * fps))
        self.window = chunk_frames
        self.mean = isinstance(spec.size, str)
        self.size = None if self.mean else check_size(spec.size, "size")
        self.shape: tuple[int, int] | None = None
        self.detections: list[tuple[int, np.ndarray]] = []  # (frame, face (x, y, w, h))
        self.n_faces: list[int] = []  # faces found at each detection instant
        self.first: tuple[int, int, int, int] | None = None
        self.last_side: float | None = None  # of the face found at the last instant

    def observe(self, t: int, frame: np.ndarray) -> None:
        if self.shape is None:
            self.shape = frame.shape[:2]
        if self.spec.box == "frame" or t % self.every or (self.spec.box == "first" and self.first):
            return
        import cv2

        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        index = self.spec.face_index
        need = 1 if index is None else index + 1
        faces = np.empty((0, 4))
        if self.last_side is not None:  # sizes near the last face first: a fraction of the work
            faces = self._detect(gray, self.last_side / _NEAR, self.last_side * _NEAR)
        if faces.shape[0] < need:
            faces = self._detect(gray, self.spec.min_face_size, None)
        self.n_faces.append(int(faces.shape[0]))
        if faces.shape[0] >= need:
            if index is not None:  # left to right by the centre
                faces = faces[np.argsort(faces[:, 0] + faces[:, 2] / 2, kind="stable")]
            face = faces[0 if index is None else index].astype(np.float64)
            self.last_side = float(max(face[2], face[3]))
        else:
            face, self.last_side = np.full(4, np.nan), None
        self.detections.append((t, face))
        if self.first is None and not np.isnan(face[0]):
            self.first = self._box(face[None])

    def _detect(self, gray: np.ndarray, low: float, high: float | None) -> np.ndarray:
        low = max(int(self.spec.min_face_size), int(low))
        high = None if high is None else max(low, int(np.ceil(high)))
        return detect_faces(
            gray,
            min_size=low,
            max_size=high,
            min_neighbors=int(self.spec.min_neighbors),
            downscale_to=self.spec.detect_size,
        )

    def _box(self, faces: np.ndarray) -> tuple[int, int, int, int]:
        """The square box of the median centre and side of ``faces`` (n, 4)."""
        height, width = self.shape
        side = float(self.spec.scale) * np.maximum(faces[:, 2], faces[:, 3])
        cx, cy = faces[:, 0] + faces[:, 2] / 2, faces[:, 1] + faces[:, 3] / 2
        box = _square_box(np.median(cx), np.median(cy), np.median(side), height, width)
        return tuple(int(v) for v in box)

    def chunk_key(self, start: int) -> tuple[int, int, int, int, bool]:
        height, width = self.shape
        box = None
        if self.spec.box == "frame":
            box = (0, 0, width, height)
        elif self.spec.box == "first":
            box = self.first
        else:
            faces = [f for t, f in self.detections if start - self.window < t <= start]
            faces = np.array([f for f in faces if not np.isnan(f[0])]).reshape(-1, 4)
            box = self._box(faces) if faces.shape[0] else None
        if box is None:
            centre = _square_box(width / 2, height / 2, height, height, width)
            return (*(int(v) for v in centre), True)
        return (*box, False)

    def reduce(self, frame: np.ndarray, key) -> np.ndarray:
        import cv2

        x0, y0, w, h, _ = key
        crop = frame[y0 : y0 + h, x0 : x0 + w]
        if self.mean:
            b, g, r, _ = cv2.sumElems(crop)  # exact for 8-bit frames (integer sums)
            return np.array([r, g, b]) / (w * h)
        crop = cv2.resize(crop, (self.size[1], self.size[0]), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)


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


def tiling_chunk_frames(n_frames: int, max_chunk: int, overlap: int, min_chunk: int = 1) -> int:
    """The chunk length whose chunks, overlapping by ``overlap``, end on the last frame.

    :func:`stream_predict` completes a short last chunk from the frames before it, so with
    chunks of ``max_chunk`` frames a video of ``n_frames`` can be predicted up to about
    1.5 times over (a 60 s video in 30 s chunks overlapping by 2 s: 2700 frames, the
    third chunk redone from frame 900). The fewest chunks of at most ``max_chunk`` frames
    that cover the video, made as long as needed to cover it exactly, predict each frame
    once but for the overlaps.

    Parameters
    ----------
    n_frames : int
        Frames of the video (e.g. ``video_info(path).n_frames_declared``); a value below 1
        (unknown) gives ``max_chunk``.
    max_chunk : int
        Longest chunk (>= 1).
    overlap : int
        Frames shared by consecutive chunks (``0 <= overlap < max_chunk``).
    min_chunk : int, default=1
        Shortest chunk (e.g. a model's clip length); at most ``max_chunk``.

    Returns
    -------
    int
        Chunk length in frames, in ``[min(min_chunk, ...), max_chunk]``: ``n_frames`` itself
        for a video shorter than ``max_chunk`` (one chunk).

    Examples
    --------
    >>> from lqrppg.video import tiling_chunk_frames
    >>> tiling_chunk_frames(1800, 900, 60)  # chunks at 0, 580 and 1160, ending on 1799
    640
    >>> tiling_chunk_frames(500, 900, 60), tiling_chunk_frames(-1, 900, 60)
    (500, 900)
    """
    max_chunk = check_int(max_chunk, "max_chunk", 1)
    overlap = check_int(overlap, "overlap", 0, max_chunk - 1)
    min_chunk = check_int(min_chunk, "min_chunk", 1, max_chunk)
    if not isinstance(n_frames, int | np.integer) or n_frames < 1:
        return max_chunk
    if n_frames <= max_chunk:
        return max(int(n_frames), min_chunk)
    n_chunks = math.ceil((n_frames - overlap) / (max_chunk - overlap))
    length = math.ceil((n_frames + (n_chunks - 1) * overlap) / n_chunks)
    return min(max_chunk, max(min_chunk, length, overlap + 1))


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
    crop: StreamCrop | None = None,
) -> Bunch:
    """Predict a pulse waveform over a whole video file, one chunk of frames at a time.

    The video is read in chunks of ``round(chunk_seconds * fps)`` frames that overlap by
    ``round(overlap_seconds * fps)`` (as :func:`iter_video_chunks`); each chunk goes through
    ``transform`` and ``predict_fn``, and the chunk waveforms are joined by
    :func:`overlap_add`. Every frame is decoded once.

    With ``crop`` (a :class:`StreamCrop`), each frame is cropped (and resized, or averaged)
    as it is decoded and only the crops are kept: the memory is that of a few chunks of
    crops, whatever the frame size and the length of the video; the chunks are then read
    by a background thread, one ahead of ``predict_fn`` (OpenCV releases the GIL while it
    decodes, detects and resizes, torch while it computes), so that reading and prediction
    overlap where a second core is free. Without it, chunks hold
    whole frames: a few chunks of them (the chunks being filled, which share their frames,
    the one handed out and the one kept to complete a short last chunk), which at 1920 x
    1080 is about 1 GB per 5 s chunk; ``transform`` (e.g. a :class:`FaceCropper` and a
    :class:`Resizer` in a Pipeline) then crops them chunk by chunk. The waveform itself, one
    float per frame, is kept whole.

    When the frames after the last full chunk are too few for a chunk of their own, the
    last chunk is taken to end on the last frame (as ``cut_clips(remainder="last")``), so
    every clip that ``predict_fn`` sees has the same length; the frames before the short
    chunk's start come from the chunk before it (with ``crop``, as cropped for that chunk).
    :func:`tiling_chunk_frames` gives a chunk length for which the chunks end on the last
    frame. A video shorter than one chunk is predicted as one clip of all its frames.

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
        Applied to each clip (1, T, H, W, 3) before ``predict_fn`` (after ``crop``: to the
        chunk of crops, or of mean colours (1, T, 3)): an object with ``transform`` (used as
        is; stateless transformers need no ``fit``) or a function. Per-chunk transformers
        such as ``FaceCropper(detect="first")`` detect anew in each chunk.
    window : {"hann", "boxcar"}, default="hann"
        Weights of :func:`overlap_add` across each chunk.
    fps : float, optional
        Frame rate, needed when the container gives none (see :func:`read_video`).
    crop : StreamCrop, optional
        Crop (and resize or average) each frame as it is read; see :class:`StreamCrop`.

    Returns
    -------
    Bunch
        ``waveform`` (T,) float64 (NaN where ``predict_fn`` gave NaN), ``fps``,
        ``timestamps`` (T,) seconds and ``timestamp_source`` (as :func:`read_video`;
        "frame_index" unless every chunk had usable container times), ``starts`` of the
        clips, ``chunk_frames`` and ``overlap_frames``. With ``crop`` also
        ``chunk_boxes`` (n_chunks, 4) int64, the box ``(x, y, w, h)`` of each clip in frame
        pixels; ``chunk_fallback`` (n_chunks,) bool, clips cropped to the centred square
        because no face was known; ``detection_frames`` (k,) int64, the detection instants,
        ``faces`` (k, 4) float64, the face ``(x, y, w, h)`` used at each (the largest, or
        the one ``StreamCrop.face_index`` names; NaN where none), and ``n_faces`` (k,)
        int64, the number of faces found at each.

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
    rate = video_info(p, fps=fps).fps
    return _stream_predict(
        p, rate, predict_fn, chunk_seconds, overlap_seconds, transform, window, fps, crop
    )


def _stream_predict(
    source,
    rate: float,
    predict_fn,
    chunk_seconds,
    overlap_seconds,
    transform=None,
    window: str = "hann",
    fps: float | None = None,
    crop: StreamCrop | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> Bunch:
    """:func:`stream_predict` of a checked file path or ``_io._InMemory`` frames at ``rate``.

    ``on_chunk(k, end)`` is called after chunk ``k`` (0-based) is predicted, with the frame
    its chunk ends on (progress reports).
    """
    if not callable(predict_fn):
        raise ValueError(f"predict_fn must be callable; got {type(predict_fn).__name__}")
    check_choice(window, "window", ["hann", "boxcar"])
    p = source
    chunk = _frames_in(chunk_seconds, rate, "chunk_seconds", 2)
    overlap = _frames_in(overlap_seconds, rate, "overlap_seconds", 0)
    if overlap >= chunk:
        raise ValueError(
            f"overlap_seconds ({overlap_seconds!r} s = {overlap} frames) must be shorter than "
            f"chunk_seconds ({chunk_seconds!r} s = {chunk} frames)"
        )

    if crop is not None and not isinstance(crop, StreamCrop):
        raise ValueError(f"crop must be a StreamCrop or None; got {type(crop).__name__}")
    reducer = _Frames("rgb") if crop is None else crop._run(rate, chunk)

    waves: list[np.ndarray] = []
    starts: list[int] = []
    boxes: list = []
    stamps: list[np.ndarray] = []
    sources: set[str] = set()
    n_frames = 0
    reader = _read_chunks(p, chunk, overlap, None, rate, reducer, complete_last=True)
    if crop is not None:  # chunks of crops are small: read the next while this one is used
        reader = _in_background(reader)
    for piece, key in reader:
        start, frames = piece.start, piece.frames
        stamps.append(piece.timestamps[max(0, n_frames - start) :])  # frames not seen before
        sources.add(piece.timestamp_source)
        n_frames = max(n_frames, start + len(frames))
        clip = _apply_transform(transform, frames[None])
        wave = np.asarray(predict_fn(clip), dtype=np.float64)
        if wave.shape not in ((1, len(frames)), (len(frames),)):
            raise ValueError(
                f"predict_fn must return the waveform of the clip, shape (1, {len(frames)}) or "
                f"({len(frames)},); got shape {wave.shape} for the chunk at frame {start}"
            )
        waves.append(wave.reshape(-1))
        starts.append(start)
        boxes.append(key)
        if on_chunk is not None:
            on_chunk(len(starts) - 1, start + len(frames))
    waveform = overlap_add(np.stack(waves), np.asarray(starts), n_frames, window=window)
    ts = np.concatenate(stamps)
    source = "container"
    if sources != {"container"} or not np.all(np.diff(ts) > 0):
        ts, source = np.arange(n_frames) / rate, "frame_index"
    out = Bunch(
        waveform=waveform,
        fps=rate,
        timestamps=ts,
        timestamp_source=source,
        starts=np.asarray(starts, dtype=np.int64),
        chunk_frames=chunk,
        overlap_frames=overlap,
    )
    if crop is not None:
        out.chunk_boxes = np.array([k[:4] for k in boxes], dtype=np.int64).reshape(-1, 4)
        out.chunk_fallback = np.array([k[4] for k in boxes], dtype=bool)
        det = reducer.detections
        out.detection_frames = np.array([t for t, _ in det], dtype=np.int64)
        out.faces = np.array([f for _, f in det], dtype=np.float64).reshape(-1, 4)
        out.n_faces = np.array(reducer.n_faces, dtype=np.int64)
    return out
