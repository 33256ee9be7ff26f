"""The loader of MMPD and mini-MMPD (Tang et al., EMBC 2023): one MATLAB file per recording."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from ._loaders import (
    _DEFAULT_TOLERANCE,
    Recording,
    _check_values,
    _Found,
    _import_h5py,
    _load_dataset,
    _malformed,
    _natural_key,
    _to_frames,
)

__all__ = ["load_mmpd"]


_MMPD_EXPECTED = (
    "a MATLAB file with 'video' (T, H, W, 3), RGB in [0, 1] or uint8, and 'GT_ppg' (T,) or (1, T)"
)
_MMPD_INFO = (
    "light",
    "motion",
    "exercise",
    "skin_color",
    "gender",
    "glasser",
    "hair_cover",
    "makeup",
)


def _mat_scalar(value):
    """A MATLAB cell, char array or number as a plain str or number."""
    arr = np.asarray(value)
    while arr.dtype == object and arr.size == 1:
        arr = np.asarray(arr.reshape(-1)[0])
    if arr.dtype.kind in "US":
        return "".join(str(v) for v in arr.ravel()).strip()
    if arr.size == 1 and arr.dtype.kind in "iuf":
        v = arr.reshape(-1)[0].item()
        return int(v) if float(v).is_integer() else v
    return arr


def _load_mat(path: Path) -> dict[str, Any]:
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    try:
        return loadmat(path)
    except NotImplementedError:  # MATLAB v7.3: an HDF5 file storing arrays transposed
        pass
    except (MatReadError, ValueError, OSError) as exc:
        raise _malformed(
            path, _MMPD_EXPECTED, f"it cannot be read as a .mat file ({exc})"
        ) from None
    h5py = _import_h5py(f"the MATLAB v7.3 file {str(path)!r}")

    with h5py.File(path, "r") as fh:
        out = {}
        for key in ("video", "GT_ppg"):
            if key in fh:
                out[key] = np.asarray(fh[key][()]).transpose()
        for key in _MMPD_INFO:
            if key in fh:
                raw = np.asarray(fh[key][()]).transpose()
                if fh[key].attrs.get("MATLAB_class") == b"char":
                    raw = np.array("".join(chr(c) for c in raw.ravel()))
                out[key] = raw
    return out


def _find_mmpd(root: Path) -> list[_Found]:
    """``subject*/p*_*.mat`` files in natural order; video and label are the same file."""
    files = [p for p in root.glob("subject*/p*_*.mat") if p.is_file()]
    files.sort(key=lambda p: (_natural_key(p.parent.name), _natural_key(p.stem)))
    return [_Found(f"{f.parent.name}/{f.stem}", f.parent.name, f.stem, f, f) for f in files]


def _read_mmpd(rec: Recording) -> Bunch:
    mat = _load_mat(rec.label)
    missing = [k for k in ("video", "GT_ppg") if k not in mat]
    if missing:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise _malformed(rec.label, _MMPD_EXPECTED, f"missing {missing}; found {found}")
    video = np.asarray(mat["video"])
    if video.ndim != 4 or video.shape[-1] != 3 or 0 in video.shape:
        raise _malformed(rec.label, _MMPD_EXPECTED, f"'video' has shape {video.shape}")
    ppg = np.asarray(mat["GT_ppg"])
    if ppg.dtype.kind not in "iuf" or ppg.ndim > 2 or (ppg.ndim == 2 and 1 not in ppg.shape):
        raise _malformed(
            rec.label, _MMPD_EXPECTED, f"'GT_ppg' has dtype {ppg.dtype} and shape {ppg.shape}"
        )
    ppg = ppg.astype(np.float64).ravel()
    _check_values(ppg, rec.label, "'GT_ppg'")
    if ppg.size < 2:
        raise _malformed(rec.label, _MMPD_EXPECTED, f"'GT_ppg' has {ppg.size} samples")
    if video.dtype == np.uint8:
        frames = video
    elif video.dtype.kind == "f":
        if not np.all(np.isfinite(video)):
            raise _malformed(rec.label, _MMPD_EXPECTED, "'video' has NaN or infinite values")
        # MMPD stores intensities in [0, 1]; values above 1 are taken as 0-255 levels.
        scale = 255.0 if float(video.max()) <= 1.0 else 1.0
        frames = np.clip(np.rint(video * scale), 0, 255).astype(np.uint8)
    else:
        raise _malformed(rec.label, _MMPD_EXPECTED, f"'video' has dtype {video.dtype}")
    # No timestamps: frames and label samples are both at the nominal rate from time 0.
    frame_times = np.arange(frames.shape[0]) / rec.fs
    label_times = np.arange(ppg.size) / rec.label_fs
    excess = label_times[-1] - frame_times[-1]
    if excess > rec.tolerance:
        raise ValueError(
            f"{rec.dataset} {rec.recording_id}: cannot align the {frames.shape[0]} frames and "
            f"the {ppg.size} 'GT_ppg' samples of {str(rec.label)!r}: the label runs "
            f"{excess:.3f} s ({ppg.size - frames.shape[0]} samples) past the video; at most "
            f"tolerance={rec.tolerance} s may differ"
        )
    (ppg_f,), outside = _to_frames(rec, frame_times, label_times, ppg)
    extra = {k: _mat_scalar(mat[k]) for k in _MMPD_INFO if k in mat}
    return Bunch(
        frames=frames,
        timestamps=frame_times,
        ppg=ppg_f,
        fs=rec.fs,
        label_times=label_times,
        label_values=ppg,
        n_extrapolated=outside,
        hr=None,
        extra=extra,
    )


def load_mmpd(path, *, subjects=None, tolerance: float = _DEFAULT_TOLERANCE) -> Bunch:
    """Find the recordings of MMPD or mini-MMPD (Tang et al. 2023); nothing is decoded.

    Layout: ``<path>/subject<k>/p<k>_<n>.mat``, one MATLAB file per video holding
    ``video`` (T, H, W, 3), RGB intensities in [0, 1] (320 x 240 in mini-MMPD), at 30 fps,
    ``GT_ppg``, the contact PPG, one sample per frame, and the recording's conditions
    (``light``, ``motion``, ``exercise``, ``skin_color``, ``gender``, ``glasser``,
    ``hair_cover``, ``makeup``). Files are read with :func:`scipy.io.loadmat` (MATLAB v5,
    as mini-MMPD ships); v7.3 (HDF5) files are read with h5py. Frames are returned as uint8
    (``round(255 * video)``).

    Parameters
    ----------
    path : str or os.PathLike
        The folder holding the ``subject*`` folders.
    subjects : sequence of str, optional
        Subject ids to keep (folder names such as ``"subject1"``); default: all.
    tolerance : float, default=0.5
        Seconds by which video and label may differ in length (they are aligned at their
        first sample); see :meth:`Recording.load`.

    Returns
    -------
    Bunch
        As :func:`load_ubfc_rppg`, with recording ids ``"subject<k>/p<k>_<n>"``, sessions
        ``"p<k>_<n>"``, ``fs`` and ``label_fs`` 30.0; ``name`` is "MMPD".
        :meth:`Recording.load` returns the conditions in ``extra``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If no ``subject*/p*_*.mat`` file is found (the message gives the pattern searched)
        or unknown ``subjects`` are asked for.
    """
    return _load_dataset(
        path,
        subjects,
        tolerance,
        name="MMPD",
        fs=30.0,
        label_fs=30.0,
        reader=_read_mmpd,
        find=_find_mmpd,
        pattern="'subject*/p*_*.mat'",
        description="MMPD at {root}: {n_recordings} videos of {n_subjects} subjects at 30 fps "
        "with a contact PPG per frame and the recording conditions.",
    )
