"""The loader of COHFACE (Heusch, Anjos and Marcel, arXiv:1709.00962, 2017): ``data.avi``
and ``data.hdf5`` per recording."""

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
    _import_h5py,
    _load_dataset,
    _malformed,
    _natural_key,
    _read_avi,
    _require,
    _to_frames,
)

__all__ = ["load_cohface"]

_NAME = "COHFACE"

_COHFACE_EXPECTED = (
    "an HDF5 file with 1-D datasets 'pulse' and 'time' (seconds) of equal length, and "
    "optionally 'respiration'"
)


def _parse_cohface_hdf5(path: Path) -> dict[str, np.ndarray]:
    h5py = _import_h5py(f"the HDF5 label file {str(path)!r}")

    try:
        fh = h5py.File(path, "r")
    except OSError as exc:
        raise _malformed(path, _COHFACE_EXPECTED, f"it cannot be opened as HDF5 ({exc})") from None
    with fh:
        out = {}
        for key in ("pulse", "time", "respiration"):
            if key not in fh:
                if key == "respiration":
                    continue
                raise _malformed(path, _COHFACE_EXPECTED, f"found datasets {sorted(fh.keys())}")
            try:
                out[key] = np.asarray(fh[key][()], dtype=np.float64).ravel()
            except (TypeError, ValueError) as exc:
                raise _malformed(
                    path, _COHFACE_EXPECTED, f"'{key}' is not numeric ({exc})"
                ) from None
    sizes = {k: v.size for k, v in out.items()}
    if len(set(sizes.values())) != 1:
        raise _malformed(path, _COHFACE_EXPECTED, f"the datasets have lengths {sizes}")
    _check_label_times(out["time"], path, "'time' values")
    _check_values(out["pulse"], path, "'pulse'")
    return out


def _find_cohface(root: Path) -> Iterator[_Found]:
    """``<subject>/<session>`` folders holding a ``data.avi`` or ``data.hdf5``, each with both."""
    sessions = {
        p.parent for pattern in ("*/*/data.avi", "*/*/data.hdf5") for p in root.glob(pattern)
    }
    for folder in sorted(
        sessions, key=lambda p: (_natural_key(p.parent.name), _natural_key(p.name))
    ):
        subject, session = folder.parent.name, folder.name
        yield _Found(
            recording_id=f"{subject}/{session}",
            subject=subject,
            session=session,
            video=_require(folder / "data.avi", _NAME, "video"),
            label=_require(folder / "data.hdf5", _NAME, "label file"),
        )


def _read_cohface(rec: Recording) -> Bunch:
    label = _parse_cohface_hdf5(rec.label)
    video = _read_avi(rec)
    series = [label["pulse"]] + ([label["respiration"]] if "respiration" in label else [])
    resampled, outside = _to_frames(rec, video.timestamps, label["time"], *series)
    extra = {"respiration": resampled[1]} if len(resampled) > 1 else {}
    return Bunch(
        frames=video.frames,
        timestamps=video.timestamps,
        ppg=resampled[0],
        fs=video.fps,
        label_times=label["time"],
        label_values=label["pulse"],
        n_extrapolated=outside,
        hr=None,
        extra=extra,
        n_frames_missing=video.n_frames_missing,
    )


def load_cohface(path, *, subjects=None, tolerance: float = _DEFAULT_TOLERANCE) -> Bunch:
    """Find the recordings of COHFACE (Heusch et al. 2017); nothing is decoded.

    Layout: ``<path>/<subject>/<session>/data.avi`` (640 x 480, 20 fps, MPEG-4) and
    ``data.hdf5`` beside it, with the datasets ``pulse`` (contact blood-volume pulse),
    ``respiration`` and ``time`` (seconds from the start of the video), sampled at 256 Hz.
    COHFACE has 40 subjects with 4 sessions each (studio and natural light).

    Parameters
    ----------
    path : str or os.PathLike
        The folder holding the subject folders.
    subjects : sequence of str, optional
        Subject ids (folder names, e.g. ``"1"``) to keep; default: all.
    tolerance : float, default=0.5
        Seconds of video allowed outside the labelled span at either end; see
        :meth:`Recording.load`.

    Returns
    -------
    Bunch
        As :func:`load_ubfc_rppg`, with recording ids ``"<subject>/<session>"``, ``fs``
        20.0 and ``label_fs`` 256.0; ``name`` is "COHFACE". :meth:`Recording.load` also
        returns the respiration at the frame times in ``extra["respiration"]``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist or a session folder lacks ``data.avi`` or
        ``data.hdf5``.
    ValueError
        If no session folder is found (the message gives the pattern searched) or unknown
        ``subjects`` are asked for.
    """
    return _load_dataset(
        path,
        subjects,
        tolerance,
        name=_NAME,
        fs=20.0,
        label_fs=256.0,
        reader=_read_cohface,
        find=_find_cohface,
        pattern="'<subject>/<session>/data.avi' with 'data.hdf5'",
        description="COHFACE at {root}: {n_recordings} sessions of {n_subjects} subjects, 20 "
        "fps video with a 256 Hz contact blood-volume pulse and respiration.",
    )
