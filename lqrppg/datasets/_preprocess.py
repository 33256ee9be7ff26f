"""Preprocessing of a whole video dataset into training clips, in parallel and cached on disk."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import Bunch

from .._validation import check_choice, check_int, check_size
from ..signal import diff_normalize, standardize
from ..video import DiffNormalizer, FaceCropper, Resizer, VideoStandardizer, cut_clips
from ._loaders import Recording

__all__ = ["preprocess_dataset"]

#: Bumped whenever the output of the preprocessing changes for the same parameters, so that
#: old cache entries are no longer found.
_CACHE_VERSION = 4
#: Seconds of contact PPG after the last frame (or before the first) above which the
#: recording is reported "partial": labels beyond the video cannot be used.
_LABEL_BEYOND_S = 1.0
_NORMALIZE = ["standardize", "diffnormalize"]
_SUMMARY_COLUMNS = {
    "recording": "string",
    "subject": "string",
    "status": "string",
    "n_frames": "Int64",
    "fps": "float64",
    "n_clips_expected": "Int64",
    "n_clips_made": "int64",
    "n_clips_skipped": "Int64",
    "n_frames_dropped": "Int64",
    "from_cache": "bool",
    "reason": "string",
    "notes": "string",
}


# --------------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------------
def _check_norm(value, name: str) -> str | None:
    if value is None:
        return None
    return check_choice(value, name, _NORMALIZE)


def _recordings_of(dataset) -> tuple[list[Recording], str, float | None, Path | None]:
    if isinstance(dataset, dict) and "recordings" in dataset:
        recs = list(dataset["recordings"])
        name = str(dataset.get("name", "dataset"))
        fs = dataset.get("fs")
        root = dataset.get("path")
    elif isinstance(dataset, list | tuple):
        recs, name, fs, root = list(dataset), "dataset", None, None
    else:
        raise ValueError(
            "dataset must be the Bunch of a loader such as load_ubfc_rppg (with 'recordings') "
            f"or a list of Recording objects; got {type(dataset).__name__}"
        )
    bad = [type(r).__name__ for r in recs if not isinstance(r, Recording)]
    if bad:
        raise ValueError(f"dataset.recordings must hold Recording objects; found {bad[:3]}")
    if not recs:
        raise ValueError("dataset has no recordings to preprocess")
    ids = [r.recording_id for r in recs]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"dataset has duplicate recording ids {dup}; expected unique ids")
    if fs is None:
        fs = recs[0].fs
    return recs, name, float(fs), None if root is None else Path(root)


def _check_face_cropper(face_cropper, size):
    if face_cropper is None:
        return None
    if isinstance(face_cropper, str):
        if face_cropper != "default":
            raise ValueError(
                "face_cropper must be 'default', None or a FaceCropper-like transformer; got "
                f"{face_cropper!r}"
            )
        face_cropper = FaceCropper()
    if not (hasattr(face_cropper, "transform") and hasattr(face_cropper, "get_params")):
        raise ValueError(
            "face_cropper must be 'default', None or a transformer with transform() and "
            f"get_params() such as FaceCropper; got {type(face_cropper).__name__}"
        )
    fc = clone(face_cropper)
    params = fc.get_params(deep=False)
    if size is not None and "output_size" in params and params["output_size"] is None:
        fc.set_params(output_size=size)
    return fc


def _describe(obj) -> Any:
    """A JSON-able description of a transformer, for the cache key and ``params``."""
    if obj is None:
        return None
    params = obj.get_params(deep=False)
    return {
        "class": f"{type(obj).__module__}.{type(obj).__qualname__}",
        "params": {k: repr(v) for k, v in sorted(params.items())},
    }


# --------------------------------------------------------------------------------------------
# one recording (runs in the workers)
# --------------------------------------------------------------------------------------------
def _video_steps(X: np.ndarray, cfg: dict) -> np.ndarray:
    """Face crop, resize and normalise clips (n, T, H, W, 3): float32, or as read (None)."""
    if cfg["face_cropper"] is not None:
        X = np.asarray(cfg["face_cropper"].transform(X))
    size = cfg["size"]
    if size is not None and X.shape[2:4] != size:
        X = Resizer(size=size).transform(X)
    if cfg["normalize"] == "standardize":
        return VideoStandardizer().transform(X)
    if cfg["normalize"] == "diffnormalize":
        return DiffNormalizer().transform(X)
    return np.asarray(X)


def _label_steps(y: np.ndarray, cfg: dict) -> np.ndarray:
    if cfg["label_normalize"] == "standardize":
        y = standardize(y)
    elif cfg["label_normalize"] == "diffnormalize":
        y = diff_normalize(y)
    return np.asarray(y, dtype=np.float32)


def _row(rec: Recording, **values) -> dict:
    row = {
        "recording": rec.recording_id,
        "subject": rec.subject,
        "status": "ok",
        "n_frames": None,
        "fps": float("nan"),
        "n_clips_expected": None,
        "n_clips_made": 0,
        "n_clips_skipped": None,
        "n_frames_dropped": None,
        "from_cache": False,
        "reason": "",
        "notes": "",
    }
    row.update(values)
    return row


def _incomplete(data) -> str:
    """Why a loaded recording is incomplete (a cut-short video, labels past it), or ''."""
    parts = []
    missing = int(data.get("n_frames_missing", 0))
    if missing:
        parts.append(
            f"the video is cut short: {missing} frames ({missing / float(data.fs):.1f} s) fewer "
            "than its container declares"
        )
    for key, where in (("label_after_video_s", "after"), ("label_before_video_s", "before")):
        seconds = float(data.get(key, 0.0))
        if seconds > _LABEL_BEYOND_S:
            parts.append(f"{seconds:.1f} s of contact PPG {where} the video are not used")
    return "; ".join(parts)


def _empty(cfg: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    length = cfg["chunk_length"]
    dtype = np.uint8 if cfg["normalize"] is None else np.float32
    return (
        np.empty((0, length, 0, 0, 3), dtype),
        np.empty((0, length), np.float32),
        np.empty(0, np.int64),
    )


def _no_hr(cfg: dict) -> np.ndarray:
    return np.empty((0, cfg["chunk_length"]), np.float32)


def _compute(rec: Recording, cfg: dict) -> dict:
    raise_errors = cfg["on_error"] == "raise"
    try:
        data = rec.load()
    except (ValueError, OSError) as exc:
        if raise_errors:
            raise
        X, y, starts = _empty(cfg)
        row = _row(rec, status="skipped", reason=f"cannot read the recording: {exc}")
        # A missing or unreadable file may be fixed without changing the others' stamps.
        return {"X": X, "y": y, "hr": _no_hr(cfg), "starts": starts, "row": row, "cacheable": False}

    frames, ppg = data.frames, data.ppg
    n_frames, length = frames.shape[0], cfg["chunk_length"]
    # The dataset's own heart rate at each frame (UBFC-rPPG, PURE), NaN where it has none.
    device_hr = data.get("hr")
    device_hr = (
        np.full(n_frames, np.nan, np.float32)
        if device_hr is None
        else np.asarray(device_hr, dtype=np.float32)
    )
    base = {"n_frames": n_frames, "fps": float(data.fs)}
    incomplete = _incomplete(data)
    if n_frames < length:
        X, y, starts = _empty(cfg)
        row = _row(
            rec,
            status="skipped",
            n_clips_expected=0,
            n_clips_skipped=0,
            n_frames_dropped=n_frames,
            reason=f"{n_frames} frames, fewer than chunk_length={length}",
            **base,
        )
        return {"X": X, "y": y, "hr": _no_hr(cfg), "starts": starts, "row": row, "cacheable": True}

    # The clip plan: cut_clips over frame indices gives every clip's frames.
    plan = cut_clips(
        np.arange(n_frames), length, overlap=cfg["overlap"], remainder=cfg["remainder"]
    )
    index, starts = plan.clips, plan.starts
    expected = len(starts)
    base.update(n_clips_expected=expected, n_frames_dropped=plan.n_uncovered)

    failures: list[tuple[int, str]] = []
    if cfg["scope"] == "recording":
        try:
            video = _video_steps(frames[None], cfg)[0]
            labels = _label_steps(ppg, cfg)
            X, y, keep = video[index], labels[index], np.arange(expected)
        except ValueError as exc:
            if raise_errors:
                raise ValueError(f"{rec.dataset} {rec.recording_id}: {exc}") from exc
            X, y, _ = _empty(cfg)
            keep = np.empty(0, np.int64)
            failures = [(k, str(exc)) for k in range(expected)]
    else:
        clips, labels, kept = [], [], []
        for k, idx in enumerate(index):
            try:
                clips.append(_video_steps(frames[idx][None], cfg)[0])
                labels.append(_label_steps(ppg[idx], cfg))
                kept.append(k)
            except ValueError as exc:
                if raise_errors:
                    raise ValueError(
                        f"{rec.dataset} {rec.recording_id}, clip {k} (frames {starts[k]} to "
                        f"{starts[k] + length - 1}): {exc}"
                    ) from exc
                failures.append((k, str(exc)))
        if kept:
            X, y = np.stack(clips), np.stack(labels)
        else:
            X, y, _ = _empty(cfg)
        keep = np.asarray(kept, dtype=np.int64)

    n_made = len(keep)
    if not failures:
        status, reason = ("partial", incomplete) if incomplete and n_made else ("ok", "")
    else:
        status = "skipped" if n_made == 0 else "partial"
        if cfg["scope"] == "recording":
            reason = f"all {expected} clips: {failures[0][1]}"
        else:
            shown = "; ".join(f"clip {k} (frame {starts[k]}): {msg}" for k, msg in failures[:3])
            more = f"; and {len(failures) - 3} more" if len(failures) > 3 else ""
            reason = f"{len(failures)} of {expected} clips: {shown}{more}"
        if incomplete:
            reason = f"{incomplete}; {reason}"
    row = _row(
        rec,
        status=status,
        n_clips_made=n_made,
        n_clips_skipped=len(failures),
        reason=reason,
        **base,
    )
    hr = device_hr[index[keep]] if len(keep) else _no_hr(cfg)
    return {"X": X, "y": y, "hr": hr, "starts": starts[keep], "row": row, "cacheable": True}


def _save(path: Path, result: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(
                fh,
                X=result["X"],
                y=result["y"],
                hr=result["hr"],
                starts=result["starts"],
                row=np.array(json.dumps(result["row"])),
            )
        os.replace(tmp, path)  # atomic: a reader never sees half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(path: Path) -> dict | None:
    try:
        with np.load(path, allow_pickle=False) as npz:
            out = {
                "X": npz["X"],
                "y": npz["y"],
                "hr": npz["hr"],
                "starts": npz["starts"],
                "row": json.loads(str(npz["row"])),
            }
    except (OSError, ValueError, KeyError, EOFError):
        return None  # unreadable entry: compute again and overwrite it
    out["row"]["from_cache"] = True
    out["warnings"] = []
    return out


def _process(rec: Recording, cfg: dict, cache_file: Path | None) -> dict:
    if cache_file is not None and cache_file.exists():
        cached = _load(cache_file)
        # A cached skip is an error that on_error="raise" must raise: compute it again.
        failed = cached is not None and (cached["row"]["n_clips_skipped"] or 0) > 0
        if cached is not None and not (failed and cfg["on_error"] == "raise"):
            return cached
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _compute(rec, cfg)
    result["warnings"] = [(w.category, str(w.message)) for w in caught]
    result["row"]["notes"] = " | ".join(dict.fromkeys(m for _, m in result["warnings"]))
    if cache_file is not None and result.pop("cacheable"):
        _save(cache_file, result)
    return result


# --------------------------------------------------------------------------------------------
# cache keys
# --------------------------------------------------------------------------------------------
def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "recording"


def _cache_file(rec: Recording, root: Path | None, key_params: dict, cache_dir: Path):
    """Cache entry of a recording, keyed by its files' sizes and mtimes and the parameters."""
    try:
        stats = []
        for f in rec.files():
            st = f.stat()
            stats.append([str(f.resolve()), st.st_size, st.st_mtime_ns])
    except OSError:
        return None  # a file is missing: the load will fail and say so; nothing to cache
    payload = {
        "version": _CACHE_VERSION,
        "root": None if root is None else str(root.resolve()),
        "dataset": rec.dataset,
        "recording": rec.recording_id,
        "tolerance": rec.tolerance,
        "reader": getattr(rec._reader, "__qualname__", repr(rec._reader)),
        "files": stats,
        "params": key_params,
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return cache_dir / _safe(rec.dataset) / f"{_safe(rec.recording_id)}-{digest[:24]}.npz"


# --------------------------------------------------------------------------------------------
# the public function
# --------------------------------------------------------------------------------------------
def preprocess_dataset(
    dataset,
    *,
    chunk_length: int = 160,
    overlap: int = 0,
    remainder: str = "drop",
    face_cropper="default",
    size=(128, 128),
    normalize: str | None = "standardize",
    label_normalize: str | None = "standardize",
    scope: str = "recording",
    cache_dir=None,
    n_jobs: int | None = 1,
    on_error: str = "skip",
    progress: bool = True,
) -> Bunch:
    """Turn every recording of a dataset into face clips and PPG labels of ``chunk_length``.

    Each recording is read (:meth:`Recording.load`), its face cropped (``face_cropper``),
    resized to ``size``, its frames and labels normalised, and cut into clips by
    :func:`lqrppg.video.cut_clips`; clip ``k`` starts at frame ``k * (chunk_length -
    overlap)``. Recordings are processed in parallel by joblib (``n_jobs``) behind a tqdm
    progress bar; the clips keep the order of ``dataset.recordings`` whatever ``n_jobs``.

    Nothing goes missing without a record: ``summary`` has one row per recording with the
    clips it should give, the clips made and skipped (and why), and the frames left after
    the last clip. A recording that cannot be read, or whose face is not found with
    ``FaceCropper(on_missing="raise")``, is skipped and reported there (and in a warning)
    rather than stopping the run, unless ``on_error="raise"``.

    Parameters
    ----------
    dataset : Bunch or list of Recording
        What a loader returns (e.g. :func:`load_ubfc_rppg`), or a list of its recordings.
    chunk_length : int, default=160
        Frames per clip (>= 2 with "diffnormalize"; >= 1 otherwise).
    overlap : int, default=0
        Frames shared by consecutive clips, ``0 <= overlap < chunk_length``.
    remainder : {"drop", "last"}, default="drop"
        Frames after the last full clip: left out (counted in ``n_frames_dropped``), or
        covered by one more clip ending on the last frame (see :func:`cut_clips`).
    face_cropper : "default", FaceCropper or None, default="default"
        Face detection and cropping. "default" is ``FaceCropper()`` (Haar cascade on the
        first frame, box enlarged 1.5x, ``on_missing="raise"``). A given cropper is cloned;
        if its ``output_size`` is None it is set to ``size``. None: no cropping (the whole
        frame is resized).
    size : (int, int) or None, default=(128, 128)
        ``(height, width)`` of the output frames (:class:`Resizer`, ``INTER_AREA``). None
        keeps the crop or frame size, which must then agree across recordings.
    normalize : {"standardize", "diffnormalize"} or None, default="standardize"
        Frames: z-score (:class:`VideoStandardizer`), normalised frame differences
        (:class:`DiffNormalizer`), or None for the cropped and resized frames as they were
        read (uint8 from every loader: a quarter of the memory of float32). The torch
        estimators standardise each clip themselves, so None is what they need.
    label_normalize : {"standardize", "diffnormalize"} or None, default="standardize"
        Labels: :func:`lqrppg.signal.standardize` or :func:`lqrppg.signal.diff_normalize`,
        or None for the raw contact-PPG values.
    scope : {"recording", "clip"}, default="recording"
        The span that face detection and normalisation see. "recording" (rPPG-Toolbox's
        practice and METHOD.md): the face box comes from the recording's first frame (or
        every ``every_n`` frames of it with ``detect="every"``), and the mean and standard
        deviation are those of the whole recording; a failure skips the whole recording.
        "clip": each clip is cropped and normalised on its own, as a model sees a clip at
        prediction time, and a failure skips only that clip.
    cache_dir : str or os.PathLike, optional
        Folder of the on-disk cache. Each recording's clips are stored in
        ``<cache_dir>/<dataset>/<recording>-<key>.npz``, the key being a hash of the
        recording's file paths, sizes and modification times and of every parameter above
        that changes the output; a later call with the same key reads the entry instead of
        the video. Changed files or parameters make a new key (old entries are not deleted).
        Recordings that could not be read are not cached. None: no cache.
    n_jobs : int or None, default=1
        Recordings processed at once (joblib; -1: all cores). Each worker holds one decoded
        recording and its float copy in memory.
    on_error : {"skip", "raise"}, default="skip"
        What a ``ValueError`` or ``OSError`` of a recording or clip does: skip it (reported
        in ``summary``) or stop with the error.
    progress : bool, default=True
        Show a tqdm progress bar over the recordings.

    Returns
    -------
    Bunch
        - ``X``: ndarray (n_clips, chunk_length, h, w, 3), float32 (uint8 with
          ``normalize=None``).
        - ``y``: ndarray (n_clips, chunk_length) float32, the contact PPG at the frames.
        - ``hr``: ndarray (n_clips, chunk_length) float32, the dataset's own heart rate in
          bpm at the frames (UBFC-rPPG's ``ground_truth.txt`` line 2, PURE's pulse rate),
          NaN where the dataset has none.
        - ``groups``: ndarray (n_clips,) str, subject of each clip (for ``GroupKFold``).
        - ``clip_index``: DataFrame, one row per clip: ``recording``, ``subject``, ``start``
          (first frame of the clip in its recording).
        - ``summary``: DataFrame, one row per recording: ``recording``, ``subject``,
          ``status`` ("ok"; "partial": some clips skipped, or the recording is incomplete:
          its video cut short, or more than 1 s of contact PPG before or after the video;
          "skipped"), ``n_frames`` (NA if unreadable),
          ``fps``, ``n_clips_expected``, ``n_clips_made``, ``n_clips_skipped`` (for every
          readable recording ``made + skipped == expected``), ``n_frames_dropped``,
          ``from_cache``, ``reason`` (why clips were skipped, or the recording is
          incomplete) and ``notes`` (warnings).
        - ``fs``: float, the dataset's frame rate; ``chunk_length``: int; ``name``: str.
        - ``params``: dict, the preprocessing parameters; ``cache_dir``: Path or None.

    Raises
    ------
    ValueError
        For bad parameters, or (with ``on_error="raise"``) the first failing recording.

    Notes
    -----
    With ``scope="recording"`` the normalisers see the whole recording at once: peak memory
    per worker is about the decoded video plus three float64 copies of the cropped video
    (a 1-minute 30 fps recording at 128 x 128 needs about 2 GB).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from lqrppg.datasets import load_ubfc_rppg, make_synthetic_rppg, preprocess_dataset
    >>> from lqrppg.video import write_video
    >>> tmp = tempfile.TemporaryDirectory()
    >>> data = make_synthetic_rppg(n_subjects=1, duration=2, frame_size=(16, 16), random_state=0)
    >>> folder = os.path.join(tmp.name, "subject1")
    >>> os.mkdir(folder)
    >>> _ = write_video(os.path.join(folder, "vid.avi"), data.videos[0], 30.0, codec="FFV1")
    >>> t = np.arange(60) / 30.0
    >>> lines = [data.ppg[0], np.full(60, 70.0), t]
    >>> with open(os.path.join(folder, "ground_truth.txt"), "w") as fh:
    ...     _ = fh.write("\\n".join(" ".join(map(str, v)) for v in lines))
    >>> out = preprocess_dataset(
    ...     load_ubfc_rppg(tmp.name), chunk_length=25, face_cropper=None, size=(8, 8),
    ...     progress=False,
    ... )
    >>> out.X.shape, out.y.shape, out.clip_index.start.tolist()
    ((2, 25, 8, 8, 3), (2, 25), [0, 25])
    >>> out.summary[["n_frames", "n_clips_made", "n_frames_dropped"]].values.tolist()
    [[60, 2, 10]]
    >>> tmp.cleanup()
    """
    from joblib import Parallel, delayed
    from tqdm import tqdm  # text bars: tqdm.auto warns in Jupyter without ipywidgets

    recordings, name, fs, root = _recordings_of(dataset)
    chunk_length = check_int(chunk_length, "chunk_length", 1)
    overlap = check_int(overlap, "overlap", 0)
    if overlap >= chunk_length:
        raise ValueError(
            f"overlap must be smaller than chunk_length ({chunk_length}); got {overlap}"
        )
    remainder = check_choice(remainder, "remainder", ["drop", "last"])
    size = check_size(size, "size", allow_none=True)
    normalize = _check_norm(normalize, "normalize")
    label_normalize = _check_norm(label_normalize, "label_normalize")
    scope = check_choice(scope, "scope", ["recording", "clip"])
    if scope == "clip" and chunk_length < 3 and "diffnormalize" in (normalize, label_normalize):
        raise ValueError(
            "chunk_length must be >= 3 for 'diffnormalize' with scope='clip' (frame "
            f"differences within a clip); got {chunk_length}"
        )
    on_error = check_choice(on_error, "on_error", ["skip", "raise"])
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int)):
        raise ValueError(f"n_jobs must be an int or None; got {n_jobs!r}")
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0 (use 1 for no parallelism, -1 for all cores)")
    fc = _check_face_cropper(face_cropper, size)

    cfg = {
        "chunk_length": chunk_length,
        "overlap": overlap,
        "remainder": remainder,
        "face_cropper": fc,
        "size": size,
        "normalize": normalize,
        "label_normalize": label_normalize,
        "scope": scope,
        "on_error": on_error,
    }
    params = {k: v for k, v in cfg.items() if k not in ("face_cropper", "on_error")}
    params["face_cropper"] = _describe(fc)
    cache_path = None
    cache_files: list[Path | None] = [None] * len(recordings)
    if cache_dir is not None:
        cache_path = Path(os.fspath(cache_dir))
        key_params = json.loads(json.dumps(params))  # tuples as lists, as in the JSON key
        cache_files = [_cache_file(r, root, key_params, cache_path) for r in recordings]

    jobs = (
        delayed(_process)(rec, cfg, cf) for rec, cf in zip(recordings, cache_files, strict=True)
    )
    runner = Parallel(n_jobs=n_jobs, return_as="generator")
    results = []
    bar = tqdm(total=len(recordings), desc=f"preprocess {name}", unit="rec", disable=not progress)
    with bar:
        for res in runner(jobs):
            results.append(res)
            bar.update(1)

    for rec, res in zip(recordings, results, strict=True):
        for category, message in res["warnings"]:
            warnings.warn(f"{rec.recording_id}: {message}", category, stacklevel=2)
    return _assemble(recordings, results, name, fs, chunk_length, size, params, cache_path)


def _assemble(recordings, results, name, fs, chunk_length, size, params, cache_path) -> Bunch:
    rows = [res["row"] for res in results]
    summary = pd.DataFrame(rows, columns=list(_SUMMARY_COLUMNS)).astype(_SUMMARY_COLUMNS)
    made = [res for res in results if len(res["X"])]
    shapes = {tuple(res["X"].shape[2:4]) for res in made}
    if len(shapes) > 1:
        sizes = ", ".join(
            f"{res['row']['recording']}: {res['X'].shape[2]}x{res['X'].shape[3]}"
            for res in made[:6]
        )
        raise ValueError(
            f"the recordings give frames of different sizes ({sizes}); pass size=(height, "
            "width) to resize them to one size"
        )
    if made:
        X = np.concatenate([res["X"] for res in made])
        y = np.concatenate([res["y"] for res in made])
        hr = np.concatenate([res["hr"] for res in made])
    else:
        hw = size if size is not None else (0, 0)
        dtype = np.uint8 if params["normalize"] is None else np.float32
        X = np.empty((0, chunk_length, *hw, 3), dtype)
        y = np.empty((0, chunk_length), np.float32)
        hr = np.empty((0, chunk_length), np.float32)
    counts = [len(res["X"]) for res in results]
    clip_index = pd.DataFrame(
        {
            "recording": np.repeat([r.recording_id for r in recordings], counts),
            "subject": np.repeat([r.subject for r in recordings], counts),
            "start": np.concatenate([res["starts"] for res in results]).astype(np.int64),
        }
    )
    # Every clip accounted for: what was made is what X holds, and for every readable
    # recording the clips made and skipped add up to those it should give.
    known = summary["n_clips_expected"].notna()
    balance = summary.loc[known, "n_clips_made"] + summary.loc[known, "n_clips_skipped"]
    if (
        len(X) != int(summary["n_clips_made"].sum())
        or not (balance == summary.loc[known, "n_clips_expected"]).all()
    ):  # pragma: no cover - a bug, not a data problem
        raise RuntimeError("preprocess_dataset lost track of some clips; please report this")

    skipped = summary[summary["status"] != "ok"]
    if len(skipped):
        shown = "; ".join(f"{r.recording}: {r.reason}" for r in skipped.head(5).itertuples())
        warnings.warn(
            f"preprocess_dataset: {len(skipped)} of {len(summary)} recordings of {name} lost "
            f"clips or are incomplete (see the summary): {shown}"
            f"{' ...' if len(skipped) > 5 else ''}",
            UserWarning,
            stacklevel=3,
        )
    return Bunch(
        X=X,
        y=y,
        hr=hr,
        groups=np.asarray(clip_index["subject"], dtype=str),
        clip_index=clip_index,
        summary=summary,
        fs=fs,
        chunk_length=chunk_length,
        name=name,
        params=params,
        cache_dir=cache_path,
    )
