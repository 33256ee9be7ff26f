"""The loader of UBFC-rPPG (Bobbia et al., Pattern Recognition Letters 2017), 'DATASET_2':
``subject<k>/vid.avi`` and ``ground_truth.txt``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._loaders import (
    _DEFAULT_TOLERANCE,
    Recording,
    _check_label_times,
    _check_values,
    _Found,
    _load_dataset,
    _malformed,
    _natural_key,
    _read_avi,
    _require,
    _to_frames,
)

__all__ = ["load_ubfc_rppg"]

_NAME = "UBFC-rPPG"

_UBFC_EXPECTED = (
    "three lines of whitespace-separated numbers of equal length (PPG signal, heart rate in "
    "bpm, time in seconds)"
)


def _parse_ubfc_ground_truth(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise _malformed(path, _UBFC_EXPECTED, "the file is not text") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 3:
        raise _malformed(path, _UBFC_EXPECTED, f"found {len(lines)} non-empty lines")
    rows = []
    for k, line in enumerate(lines[:3]):
        try:
            rows.append(np.array([float(v) for v in line.split()], dtype=np.float64))
        except ValueError as exc:
            raise _malformed(path, _UBFC_EXPECTED, f"line {k + 1}: {exc}") from None
    lengths = [r.size for r in rows]
    if len(set(lengths)) != 1:
        raise _malformed(path, _UBFC_EXPECTED, f"the lines hold {lengths} numbers")
    ppg, hr, times = rows
    _check_label_times(times, path, "timestamps (line 3)")
    _check_values(ppg, path, "PPG (line 1)")
    return ppg, hr, times


def _find_ubfc(root: Path) -> Iterator[_Found]:
    """``subject*`` folders in natural order, each with its video and label file."""
    folders = (p for p in root.glob("subject*") if p.is_dir())
    for folder in sorted(folders, key=lambda p: _natural_key(p.name)):
        label = folder / "ground_truth.txt"
        if not label.exists() and (folder / "gtdump.xmp").exists():
            raise FileNotFoundError(
                f"{_NAME}: {str(label)!r} is missing; {folder.name} has a 'gtdump.xmp', the "
                "layout of UBFC-rPPG DATASET_1, which this loader does not read (DATASET_2 "
                "only)"
            )
        yield _Found(
            recording_id=folder.name,
            subject=folder.name,
            session=None,
            video=_require(folder / "vid.avi", _NAME, "video"),
            label=_require(label, _NAME, "label file"),
        )


def _read_ubfc(rec: Recording) -> Bunch:
    ppg, hr, times = _parse_ubfc_ground_truth(rec.label)
    video = _read_avi(rec)
    (ppg_f, hr_f), outside = _to_frames(rec, video.timestamps, times, ppg, hr)
    return Bunch(
        frames=video.frames,
        timestamps=video.timestamps,
        ppg=ppg_f,
        fs=video.fps,
        label_times=times,
        label_values=ppg,
        n_extrapolated=outside,
        hr=hr_f,
        extra={},
        n_frames_missing=video.n_frames_missing,
    )


def load_ubfc_rppg(path, *, subjects=None, tolerance: float = _DEFAULT_TOLERANCE) -> Bunch:
    """Find the recordings of UBFC-rPPG 'DATASET_2' (Bobbia et al. 2017); nothing is decoded.

    Layout: one folder per subject, ``<path>/subject<k>/vid.avi`` (uncompressed 8-bit RGB,
    640 x 480, about 30 fps) and ``<path>/subject<k>/ground_truth.txt``, a text file of
    three lines of whitespace-separated numbers: the PPG signal of a pulse oximeter, its
    heart rate in bpm, and the time of each sample in seconds from the start of the video.
    (DATASET_1, with ``gtdump.xmp`` files, is not supported.)

    Parameters
    ----------
    path : str or os.PathLike
        The folder holding the ``subject*`` folders.
    subjects : sequence of str, optional
        Subject ids to keep (folder names such as ``"subject1"``); default: all.
    tolerance : float, default=0.5
        Seconds of video allowed outside the labelled span at either end; see
        :meth:`Recording.load`.

    Returns
    -------
    Bunch
        - ``recordings``: list of :class:`Recording`, one per subject, in natural order
          (``subject2`` before ``subject10``); ``recordings[i].load()`` reads one.
        - ``recording_ids``: list of str; ``groups``: ndarray of str, the subject of each
          recording (for group-wise splits); ``subjects``: sorted list of the subject ids.
        - ``index``: DataFrame, one row per recording (``recording``, ``subject``,
          ``session``, ``video``, ``label``).
        - ``fs``: 30.0, nominal frame rate; ``label_fs``: 30.0 (one PPG sample per frame).
        - ``name``: "UBFC-rPPG"; ``path``: the folder; ``description``: str.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist, or a subject folder lacks ``vid.avi`` or
        ``ground_truth.txt``.
    ValueError
        If no ``subject*`` folder is found (the message gives the pattern searched) or
        unknown ``subjects`` are asked for.

    See Also
    --------
    preprocess_dataset : face crops, normalisation and clips of every recording, cached.
    """
    return _load_dataset(
        path,
        subjects,
        tolerance,
        name=_NAME,
        fs=30.0,
        label_fs=30.0,
        reader=_read_ubfc,
        find=_find_ubfc,
        pattern="'subject*/vid.avi' with 'subject*/ground_truth.txt'",
        description="UBFC-rPPG DATASET_2 at {root}: {n_recordings} subjects, one video each "
        "(30 fps) with a finger pulse-oximeter PPG and heart rate.",
    )
