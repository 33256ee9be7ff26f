"""Reading and writing video files with OpenCV."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.utils import Bunch

from .._validation import check_choice, check_int, check_positive
from ..exceptions import TruncatedVideoWarning

__all__ = ["VideoChunk", "iter_video_chunks", "read_video", "video_info", "write_video"]

#: Codec chosen by :func:`write_video` from the file suffix.
_DEFAULT_CODECS = {".avi": "MJPG", ".mp4": "mp4v", ".mkv": "FFV1"}


class VideoChunk(NamedTuple):
    """Frames ``start`` to ``start + len(frames) - 1`` of a video.

    Attributes
    ----------
    start : int
        Index of the first frame in the video.
    frames : ndarray of shape (n, H, W, 3), uint8
    timestamps : ndarray of shape (n,), float64
        Seconds of each frame.
    timestamp_source : str
        "container" (the container's presentation times, used when finite and increasing
        over the chunk) or "frame_index" (``i / fps``).
    """

    start: int
    frames: np.ndarray
    timestamps: np.ndarray
    timestamp_source: str


def _check_path(path) -> Path:
    try:
        p = Path(os.fspath(path))
    except TypeError:
        raise ValueError(f"path must be a str or os.PathLike; got {type(path).__name__}") from None
    if not p.exists():
        raise FileNotFoundError(f"video file not found: {str(p)!r}")
    if not p.is_file():
        raise ValueError(f"{str(p)!r} is not a file; expected a video file")
    return p


@contextlib.contextmanager
def _quiet_opencv():
    """OpenCV's and FFmpeg's own log lines off the terminal while a file is opened.

    FFmpeg's level is read once, when OpenCV first uses it (``OPENCV_FFMPEG_LOGLEVEL``, -8 is
    quiet; set when :mod:`lqrppg.video` is imported, and again here in case; a value the
    user set is kept); OpenCV's own level is lowered to errors for the call and restored.
    What those lines say that matters (a file cut short, a file that cannot be opened) is
    reported in our own warnings and errors.
    """
    import cv2

    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is None:  # pragma: no cover - OpenCV without the logging module
        yield
        return
    before = logging.getLogLevel()
    logging.setLogLevel(min(before, logging.LOG_LEVEL_ERROR))
    try:
        yield
    finally:
        logging.setLogLevel(before)


def _declared_frames(cap) -> int:
    import cv2

    count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    return int(count) if np.isfinite(count) and count > 0 else -1


def _check_complete(p: Path, n_read: int, declared: int, rate: float, limit) -> int:
    """Frames missing against the container's count (0 if none or unknown); warns if any.

    Container counts are exact for most files and estimates (duration x rate) for some, so
    a shortfall of up to 1 % (at least one frame) is not reported.
    """
    if declared <= 0 or (limit is not None and n_read >= limit):
        return 0
    missing = declared - n_read
    if missing <= max(1, 0.01 * declared):
        return 0
    warnings.warn(
        f"{str(p)!r}: decoded {n_read} of the {declared} frames its container declares: "
        f"the last {missing / rate:.1f} s ({missing} frames) are missing; the file is cut "
        "short or damaged",
        TruncatedVideoWarning,
        stacklevel=3,
    )
    return missing


def _open(p: Path):
    import cv2

    # FFmpeg directly where OpenCV has it: CAP_ANY would also try the image-sequence
    # backend, which reads a name like 'img%03d.png' as a pattern.
    api = cv2.CAP_ANY
    try:
        if cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG):
            api = cv2.CAP_FFMPEG
    except AttributeError:  # pragma: no cover - very old OpenCV
        pass
    with _quiet_opencv():
        cap = cv2.VideoCapture(str(p), api)
    if not cap.isOpened():
        cap.release()
        raise ValueError(
            f"cannot open {str(p)!r} as a video: the file is unreadable, corrupt or in a format "
            "or codec that OpenCV's video backends here cannot decode"
        )
    return cap


def _resolve_fps(cap, p: Path, fps) -> tuple[float, str]:
    """The frame rate: ``fps`` when given (a warning when it contradicts the container's)."""
    import cv2

    rate = cap.get(cv2.CAP_PROP_FPS)
    if fps is not None:
        given = check_positive(fps, "fps")
        if np.isfinite(rate) and rate > 0 and abs(given - rate) > 0.01 * rate:
            warnings.warn(
                f"{str(p)!r}: fps={given:g} overrides the frame rate its container declares "
                f"({rate:g} fps); times and heart rates follow {given:g} fps (scaled by "
                f"{given / rate:.3g} from the container's)",
                UserWarning,
                stacklevel=3,
            )
        return given, "argument"
    if not (np.isfinite(rate) and rate > 0):
        raise ValueError(
            f"the frame rate of {str(p)!r} is unknown (the container reports {rate!r}); pass "
            "fps=<frames per second> to read it"
        )
    return float(rate), "container"


def _frame_reader(cap, color: str, reuse: bool = False):
    """Yield (frame RGB/BGR uint8, container timestamp in seconds or NaN).

    With ``reuse`` (and ``color="bgr"``) every frame is decoded into the same array, which
    the next frame overwrites: for consumers that keep only what they compute from a frame
    (a crop, a mean), it spares the allocation and the page faults of a new frame each time
    (25 MB at 3840 x 2160).
    """
    import cv2

    buffer = None
    while True:
        ok, frame = cap.read() if buffer is None else cap.read(buffer)
        if not ok:
            return
        if reuse and frame.ndim == 3:
            buffer = frame
        msec = cap.get(cv2.CAP_PROP_POS_MSEC)
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        if color == "rgb":
            frame = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        yield frame, (msec / 1000.0 if np.isfinite(msec) else np.nan)


def _usable(stamps: np.ndarray) -> bool:
    """Container timestamps are used when finite, strictly increasing and not all zero."""
    if stamps.size == 0 or not np.all(np.isfinite(stamps)):
        return False
    if stamps.size == 1:
        return True
    return bool(np.all(np.diff(stamps) > 0))


def video_info(path, *, fps=None) -> Bunch:
    """Frame rate, frame size and frame count that the container declares (nothing decoded).

    Parameters
    ----------
    path : str or os.PathLike
    fps : float, optional
        Frame rate to use when the container gives none (or to override it).

    Returns
    -------
    Bunch
        ``fps``, ``fps_source`` ("container" or "argument"), ``height``, ``width`` and
        ``n_frames_declared`` (the container's count: an estimate for some formats; -1 if
        unknown).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If OpenCV cannot open the file or the frame rate is unknown and ``fps`` is not given.
    """
    import cv2

    p = _check_path(path)
    cap = _open(p)
    try:
        rate, source = _resolve_fps(cap, p, fps)
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        return Bunch(
            fps=rate,
            fps_source=source,
            height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            n_frames_declared=int(count) if np.isfinite(count) and count >= 0 else -1,
        )
    finally:
        cap.release()


def read_video(path, *, max_frames: int | None = None, color: str = "rgb", fps=None) -> Bunch:
    """Decode a video file into memory.

    Parameters
    ----------
    path : str or os.PathLike
        Video file (any container and codec OpenCV's FFmpeg backend decodes).
    max_frames : int, optional
        Read at most this many frames from the start.
    color : {"rgb", "bgr"}, default="rgb"
        Channel order of ``frames`` (OpenCV decodes to BGR).
    fps : float, optional
        Frame rate in Hz. Needed when the container gives none (rate 0 or NaN); when given,
        it overrides the container's rate.

    Returns
    -------
    Bunch
        - ``frames``: ndarray (T, H, W, 3) uint8.
        - ``fps``: float, frames per second; ``fps_source``: "container" or "argument".
        - ``timestamps``: ndarray (T,) float64, seconds of each frame.
        - ``timestamp_source``: "container" when they are the container's presentation
          times (``CAP_PROP_POS_MSEC``; used when finite and strictly increasing), else
          "frame_index" (``i / fps``).
        - ``path``: the file's path.
        - ``n_frames_declared``: the container's frame count (-1 if unknown) and
          ``n_frames_missing``: how many fewer were decoded (0 when none, when the count is
          unknown, or with ``max_frames``). A shortfall of more than 1 % of the count also
          raises a :class:`~lqrppg.exceptions.TruncatedVideoWarning` with the seconds
          missing.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file cannot be opened or decoded (corrupt, not a video, unsupported codec),
        has no frames, or has no known frame rate and ``fps`` is not given.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from lqrppg.video import read_video, write_video
    >>> tmp = tempfile.TemporaryDirectory()
    >>> grey = np.full((5, 16, 16, 3), 128, np.uint8)
    >>> path = write_video(os.path.join(tmp.name, "grey.avi"), grey, fps=25.0)
    >>> video = read_video(path)
    >>> video.frames.shape, video.fps, video.timestamp_source
    ((5, 16, 16, 3), 25.0, 'container')
    >>> tmp.cleanup()
    """
    p = _check_path(path)
    color = check_choice(color, "color", ["rgb", "bgr"])
    limit = None if max_frames is None else check_int(max_frames, "max_frames", 1)
    cap = _open(p)
    try:
        rate, fps_source = _resolve_fps(cap, p, fps)
        declared = _declared_frames(cap)
        frames, stamps = [], []
        for frame, stamp in _frame_reader(cap, color):
            if frames and frame.shape != frames[0].shape:
                raise ValueError(
                    f"frame {len(frames)} of {str(p)!r} has shape {frame.shape}, unlike the "
                    f"first frame's {frames[0].shape}; expected a constant frame size"
                )
            frames.append(frame)
            stamps.append(stamp)
            if limit is not None and len(frames) >= limit:
                break
    finally:
        cap.release()
    if not frames:
        raise ValueError(f"{str(p)!r} contains no decodable frames")
    missing = _check_complete(p, len(frames), declared, rate, limit)
    stamps = np.asarray(stamps, dtype=np.float64)
    if _usable(stamps):
        source = "container"
    else:
        stamps, source = np.arange(len(frames)) / rate, "frame_index"
    return Bunch(
        frames=np.stack(frames),
        fps=rate,
        fps_source=fps_source,
        timestamps=stamps,
        timestamp_source=source,
        path=p,
        n_frames_declared=declared,
        n_frames_missing=missing,
    )


def iter_video_chunks(
    path,
    chunk_frames: int,
    *,
    overlap: int = 0,
    max_frames: int | None = None,
    color: str = "rgb",
    fps=None,
) -> Iterator[VideoChunk]:
    """Read a video chunk by chunk without holding more than one chunk in memory.

    Chunk ``k`` holds frames ``k * step`` to ``k * step + chunk_frames - 1`` with
    ``step = chunk_frames - overlap``. The last chunk holds the frames that are left and may
    be shorter; no chunk is made of frames that the previous chunk already held, so every
    frame is yielded and only the ``overlap`` frames between neighbours are yielded twice.

    Parameters
    ----------
    path : str or os.PathLike
    chunk_frames : int
        Frames per chunk (>= 1).
    overlap : int, default=0
        Frames shared by consecutive chunks, ``0 <= overlap < chunk_frames``.
    max_frames : int, optional
        Stop after this many frames of the video.
    color : {"rgb", "bgr"}, default="rgb"
    fps : float, optional
        As in :func:`read_video` (used for the ``i / fps`` timestamps).

    Yields
    ------
    VideoChunk
        ``(start, frames (n, H, W, 3) uint8, timestamps (n,), timestamp_source)``.
        Timestamps are the container's where the chunk's are finite and increasing, else
        ``i / fps``, decided chunk by chunk. After the last chunk, a file that decoded to
        fewer frames than its container declares (by more than 1 %) raises a
        :class:`~lqrppg.exceptions.TruncatedVideoWarning` with the seconds missing.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist (raised by the call).
    ValueError
        For bad ``chunk_frames`` or ``overlap`` (raised by the call); for a file that cannot
        be decoded, has no frames or no known frame rate (raised by the first ``next()``).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from lqrppg.video import iter_video_chunks, write_video
    >>> tmp = tempfile.TemporaryDirectory()
    >>> grey = np.full((10, 16, 16, 3), 99, np.uint8)
    >>> path = write_video(os.path.join(tmp.name, "grey.avi"), grey, fps=30.0)
    >>> [(c.start, len(c.frames)) for c in iter_video_chunks(path, 4, overlap=1)]
    [(0, 4), (3, 4), (6, 4)]
    >>> tmp.cleanup()
    """
    chunk_frames = check_int(chunk_frames, "chunk_frames", 1)
    overlap = check_int(overlap, "overlap", 0)
    if overlap >= chunk_frames:
        raise ValueError(
            f"overlap must be smaller than chunk_frames ({chunk_frames}); got {overlap}"
        )
    limit = None if max_frames is None else check_int(max_frames, "max_frames", 1)
    color = check_choice(color, "color", ["rgb", "bgr"])
    reader = _read_chunks(_check_path(path), chunk_frames, overlap, limit, fps, _Frames(color))
    return (chunk for chunk, _ in reader)


class _Frames:
    """The reducer of :func:`iter_video_chunks`: every frame whole, in RGB or BGR order.

    A reducer is what :func:`_read_chunks` keeps of each frame: ``observe(t, frame)`` sees
    every decoded BGR frame first, ``chunk_key(start)`` names how the frames of the chunk
    that starts there are reduced (frames with equal keys are reduced once and shared by
    the chunks), and ``reduce(frame, key)`` makes what is kept. ``reuses_frames`` says
    whether only what ``reduce`` returns is kept, so the decoder may overwrite the frame.
    """

    reuses_frames = False

    def __init__(self, color: str):
        self.color = color

    def observe(self, t: int, frame: np.ndarray) -> None:
        pass

    def chunk_key(self, start: int) -> None:
        return None

    def reduce(self, frame: np.ndarray, key) -> np.ndarray:
        import cv2

        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) if self.color == "rgb" else frame


class _Pending:
    """Frames of one chunk being read: its start, its reducer key, frames and timestamps."""

    __slots__ = ("frames", "key", "stamps", "start")

    def __init__(self, start: int, key):
        self.start, self.key = start, key
        self.frames: list = []
        self.stamps: list = []


def _read_chunks(p: Path, chunk_frames, overlap, limit, fps, reducer, complete_last=False):
    """Yield ``(VideoChunk, key)``: chunks of reduced frames as :func:`iter_video_chunks`.

    Each frame is decoded once and reduced once per distinct key of the chunks holding it,
    as it is read; only reduced frames are kept. With ``complete_last``, a short last chunk
    is replaced by the last ``chunk_frames`` frames of the video (starting at ``n -
    chunk_frames``): the short chunk's frames, reduced with its key (reported), after the
    frames before its start taken from the chunk handed out before it (as they were reduced
    for that chunk: reducing them with the short chunk's key is impossible, that key being
    known only from its first frame on, and reducing every frame also with the previous
    chunk's key, in case the video ends, would double the work).
    """
    memory = isinstance(p, _InMemory)
    cap = None if memory else _open(p)
    try:
        if memory:
            rate, declared, source = p.fps, len(p.frames), p.bgr_frames()
        else:
            rate, _ = _resolve_fps(cap, p, fps)
            declared = _declared_frames(cap)
            source = _frame_reader(cap, "bgr", reuse=reducer.reuses_frames)
        step = chunk_frames - overlap
        pending: deque[_Pending] = deque()
        prev: _Pending | None = None  # the last chunk handed out (complete_last)
        next_start = 0
        covered = 0  # frames 0 .. covered - 1 are in chunks handed out
        n_read = 0
        shape = None
        for frame, stamp in source:
            if shape is None:
                shape = frame.shape
            elif frame.shape != shape:
                raise ValueError(
                    f"frame {n_read} of {str(p)!r} has shape {frame.shape}, unlike the first "
                    f"frame's {shape}; expected a constant frame size"
                )
            reducer.observe(n_read, frame)
            if n_read == next_start:
                pending.append(_Pending(n_read, reducer.chunk_key(n_read)))
                next_start += step
            made: dict = {}
            for chunk in pending:
                key = chunk.key
                if key not in made:
                    made[key] = reducer.reduce(frame, key)
                chunk.frames.append(made[key])
                chunk.stamps.append(stamp)
            n_read += 1
            if len(pending[0].frames) == chunk_frames:
                done = pending.popleft()
                yield _chunk(done.start, done.frames, done.stamps, rate), done.key
                covered = done.start + chunk_frames
                prev = done if complete_last else None
            if limit is not None and n_read >= limit:
                break
        if n_read == 0:
            raise ValueError(f"{str(p)!r} contains no decodable frames")
        if not memory:
            _check_complete(p, n_read, declared, rate, limit)
        if n_read > covered:
            last = pending[0]
            if prev is None:
                yield _chunk(last.start, last.frames, last.stamps, rate), last.key
            else:  # the frames before the short chunk from the chunk handed out before it
                start = n_read - chunk_frames
                lo, hi = start - prev.start, last.start - prev.start
                frames, stamps = prev.frames[lo:hi] + last.frames, prev.stamps[lo:hi] + last.stamps
                yield _chunk(start, frames, stamps, rate), last.key
    finally:
        if cap is not None:
            cap.release()


class _InMemory:
    """Frames already in memory as a source of :func:`_read_chunks` (in place of a file).

    ``frames`` (T, H, W, 3) uint8 RGB, ``fps`` checked by the caller; they are handed to the
    reducers as BGR, one converted frame at a time (as a decoder would give them), with no
    container times.
    """

    def __init__(self, frames: np.ndarray, fps: float):
        self.frames = frames
        self.fps = float(fps)

    def __str__(self) -> str:
        return f"<{len(self.frames)} frames in memory>"

    def bgr_frames(self):
        import cv2

        for frame in self.frames:
            yield cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), np.nan


def _in_background(items: Iterator, depth: int = 1, name: str = "lqrppg-reader") -> Iterator:
    """The items of ``items``, produced by a background thread up to ``depth`` ahead.

    OpenCV releases the GIL while it decodes, detects and resizes, and torch while it
    computes, so the reading of the next chunk overlaps the prediction of this one. An
    exception of the producer is raised here, after the items made before it; when the
    consumer stops early (or fails), the producer is stopped and ``items`` closed (which
    releases the video file) before this generator returns.
    """
    import queue
    import threading

    channel: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(message) -> bool:
        while not stop.is_set():
            try:
                channel.put(message, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            put(("error", exc))
        finally:
            items.close()

    worker = threading.Thread(target=produce, name=name, daemon=True)
    worker.start()
    try:
        while True:
            kind, value = channel.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        worker.join()


def _chunk(start: int, frames: list, stamps: list, rate: float) -> VideoChunk:
    ts = np.asarray(stamps, dtype=np.float64)
    if _usable(ts):
        return VideoChunk(start, np.stack(frames), ts, "container")
    return VideoChunk(
        start, np.stack(frames), (start + np.arange(len(frames))) / rate, "frame_index"
    )


def write_video(path, frames, fps: float, *, codec: str | None = None, color: str = "rgb") -> Path:
    """Write frames to a video file with OpenCV.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; its folder must exist. The suffix picks the codec when ``codec`` is None:
        ``.avi`` Motion-JPEG (``"MJPG"``, lossy), ``.mp4`` MPEG-4 part 2 (``"mp4v"``, lossy),
        ``.mkv`` FFV1 (lossless). The pulse is a change of a fraction of a percent of the skin
        intensity, which lossy compression partly removes: keep test videos lossless
        (``.mkv``) where you can. ``.mp4`` at OpenCV's default quality hurts most (on a
        160 x 160 synthetic face, POS's SNR fell from about 11.5 dB on the frames to about
        -1 dB; Motion-JPEG ``.avi`` kept about 9 dB).
    frames : array-like of shape (T, H, W, 3), uint8
    fps : float
        Frame rate in Hz (> 0).
    codec : str, optional
        A four-character code, e.g. ``"FFV1"`` for lossless ``.avi``.
    color : {"rgb", "bgr"}, default="rgb"
        Channel order of ``frames``.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    ValueError
        For frames of the wrong shape or dtype, a bad ``fps``, an unknown suffix, or a codec
        that OpenCV here cannot write.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from lqrppg.video import write_video
    >>> tmp = tempfile.TemporaryDirectory()
    >>> out = write_video(os.path.join(tmp.name, "a.mkv"), np.zeros((3, 8, 8, 3), np.uint8), 30.0)
    >>> out.suffix
    '.mkv'
    >>> tmp.cleanup()
    """
    import cv2

    p = Path(os.fspath(path))
    arr = np.asarray(frames)
    if arr.ndim != 4 or arr.shape[-1] != 3 or 0 in arr.shape or arr.dtype != np.uint8:
        raise ValueError(
            "frames must be a non-empty uint8 array of shape (T, H, W, 3); got dtype "
            f"{arr.dtype} and shape {arr.shape}"
        )
    rate = check_positive(fps, "fps")
    color = check_choice(color, "color", ["rgb", "bgr"])
    if codec is None:
        if p.suffix.lower() not in _DEFAULT_CODECS:
            raise ValueError(
                f"cannot choose a codec for suffix {p.suffix!r} of {str(p)!r}; use one of "
                f"{sorted(_DEFAULT_CODECS)} or pass codec='XXXX'"
            )
        codec = _DEFAULT_CODECS[p.suffix.lower()]
    if not isinstance(codec, str) or len(codec) != 4:
        raise ValueError(f"codec must be a four-character code such as 'MJPG'; got {codec!r}")
    if not p.parent.is_dir():
        raise FileNotFoundError(f"folder of the output video does not exist: {str(p.parent)!r}")
    height, width = arr.shape[1:3]
    writer = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*codec), rate, (width, height))
    if not writer.isOpened():
        writer.release()
        raise ValueError(
            f"OpenCV cannot write {str(p)!r} with codec {codec!r} at {width}x{height}; "
            "choose another codec or suffix"
        )
    try:
        for frame in arr:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR) if color == "rgb" else frame)
    finally:
        writer.release()
    return p
