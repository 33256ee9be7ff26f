"""What the loaders of the public rPPG video datasets share: :class:`Recording`, the layout
checks, the resampling of the labels to the frame times, and :func:`_load_dataset`, the body
of every loader around its own ``find`` (which yields the recordings it finds in its layout)
and ``reader`` (which reads one). The loaders, one module each: ``_ubfc`` (UBFC-rPPG),
``_pure`` (PURE), ``_cohface`` (COHFACE) and ``_mmpd`` (MMPD).

A loader only looks at the folder layout: it finds the recordings, checks that each has its
video and its label file, and returns a :class:`~sklearn.utils.Bunch` whose ``recordings``
are :class:`Recording` objects. Nothing is decoded until :meth:`Recording.load` is called,
which reads one recording and returns its frames and its contact-PPG label resampled to the
frame times (``np.interp`` on the timestamps of both).

The datasets are not distributed with lqrppg; each must be requested from its authors:

- UBFC-rPPG (Bobbia et al., Pattern Recognition Letters 2017), 'DATASET_2'.
- PURE (Stricker, Müller and Gross, RO-MAN 2014).
- COHFACE (Heusch, Anjos and Marcel, arXiv:1709.00962, 2017).
- MMPD and mini-MMPD (Tang et al., EMBC 2023).
"""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..video import read_video

__all__ = ["Recording"]

#: Seconds that the video may run outside the labelled span, at either end, by default.
_DEFAULT_TOLERANCE = 0.5


# --------------------------------------------------------------------------------------------
# the recording handle
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recording:
    """One video of a dataset and its contact-PPG label, read only on :meth:`load`.

    Loaders such as :func:`load_ubfc_rppg` make these; a recording holds paths and ids, is
    cheap to create, to copy and to pickle (so it can be sent to worker processes), and
    reads its files each time :meth:`load` is called.

    Attributes
    ----------
    dataset : str
        Name of the dataset, e.g. ``"UBFC-rPPG"``.
    recording_id : str
        Identifier unique within the dataset, e.g. ``"subject1"`` (UBFC-rPPG), ``"01-02"``
        (PURE), ``"1/0"`` (COHFACE), ``"subject1/p1_0"`` (MMPD).
    subject : str
        Identifier of the person; several recordings may share it. Split data by this, never
        by clip (use it as ``groups``).
    session : str or None
        The recording's session or setting within the subject (PURE: ``"02"``, COHFACE:
        ``"0"``, MMPD: ``"p1_0"``); None where the dataset has one video per subject.
    video : pathlib.Path
        The video file (for PURE: the folder of PNG frames).
    label : pathlib.Path
        The file with the contact PPG (for MMPD the same ``.mat`` file as ``video``).
    fs : float
        Nominal frame rate of the dataset in Hz (the rate actually read is in the output of
        :meth:`load`).
    label_fs : float
        Nominal sampling rate of the contact PPG in Hz.
    tolerance : float
        Seconds of video allowed outside the labelled span at either end (see :meth:`load`).
    """

    dataset: str
    recording_id: str
    subject: str
    session: str | None
    video: Path
    label: Path
    fs: float
    label_fs: float
    tolerance: float = _DEFAULT_TOLERANCE
    _reader: Callable[[Recording], Bunch] | None = field(default=None, repr=False, compare=False)

    def load(self) -> Bunch:
        """Read the frames and resample the contact PPG to the frame times.

        Label samples and frames are placed on one clock (seconds from the recording's
        start as the dataset defines it) and the label is linearly interpolated at each frame
        time (``np.interp``). Frames up to ``tolerance`` seconds before the first or after the
        last label sample take the nearest label value (counted in ``n_extrapolated``); a
        video running further outside the labels cannot be aligned and raises.

        Returns
        -------
        Bunch
            - ``frames``: ndarray (T, H, W, 3) uint8, RGB.
            - ``timestamps``: ndarray (T,) float64, seconds of each frame.
            - ``ppg``: ndarray (T,) float64, the contact PPG at each frame time.
            - ``fs``: float, frame rate read from the video (PURE: from the frame
              timestamps; MMPD: the nominal 30 Hz).
            - ``label_times``, ``label_values``: ndarrays (n,) float64, the PPG samples as
              stored in the label file, on the clock of ``timestamps``.
            - ``n_extrapolated``: int, frames outside the labelled span.
            - ``hr``: ndarray (T,) float64 of the device's heart rate in bpm at each frame
              (UBFC-rPPG, PURE), else None.
            - ``extra``: dict of what else the dataset stores (COHFACE: ``respiration`` at
              the frame times; MMPD: the recording's conditions, e.g. ``light``,
              ``motion``, ``skin_color``).
            - ``recording_id``, ``subject``, ``session``, ``dataset``: as the attributes.
            - ``n_frames_missing``: frames fewer than the video's container declares (a
              file cut short or damaged; 0 when complete or when the format declares no
              count), with a :class:`~lqrppg.exceptions.TruncatedVideoWarning`.
            - ``label_after_video_s``, ``label_before_video_s``: seconds of contact PPG
              recorded after the last frame and before the first (labels that run past
              the video are not used, and are reported by
              :func:`~lqrppg.datasets.preprocess_dataset`).

        Raises
        ------
        FileNotFoundError
            If a file of the recording has gone missing.
        ValueError
            If the video cannot be decoded, the label file is malformed (the message names
            the file and what was expected), or frames and labels cannot be aligned (the
            message says by how many seconds and frames).
        """
        if self._reader is None:
            raise ValueError(
                f"recording {self.recording_id!r} has no reader; make recordings with a loader "
                "such as load_ubfc_rppg"
            )
        out = self._reader(self)
        times, labels = out["timestamps"], out["label_times"]
        out.update(
            recording_id=self.recording_id,
            subject=self.subject,
            session=self.session,
            dataset=self.dataset,
            n_frames_missing=int(out.get("n_frames_missing", 0)),
            label_after_video_s=max(0.0, float(labels[-1] - times[-1])),
            label_before_video_s=max(0.0, float(times[0] - labels[0])),
        )
        return out

    def files(self) -> list[Path]:
        """The files this recording is read from (the PNG frames one by one for PURE)."""
        paths = {self.label}
        if self.video.is_dir():
            paths.update(p for p in self.video.iterdir() if p.suffix.lower() == ".png")
        else:
            paths.add(self.video)
        return sorted(paths)


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------
def _natural_key(name: str) -> list:
    """Sort key that orders 'subject2' before 'subject10'."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def _check_root(path, dataset: str) -> Path:
    try:
        root = Path(os.fspath(path))
    except TypeError:
        raise ValueError(f"path must be a str or os.PathLike; got {type(path).__name__}") from None
    if not root.exists():
        raise FileNotFoundError(f"{dataset}: folder {str(root)!r} not found")
    if not root.is_dir():
        raise ValueError(f"{dataset}: {str(root)!r} is not a folder; pass the dataset's folder")
    return root


def _check_tolerance(tolerance) -> float:
    ok = isinstance(tolerance, numbers.Real) and not isinstance(tolerance, bool)
    if not ok or not np.isfinite(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance must be a finite number of seconds >= 0; got {tolerance!r}")
    return float(tolerance)


def _no_recordings(dataset: str, root: Path, pattern: str) -> ValueError:
    return ValueError(
        f"{dataset}: no recordings found in {str(root)!r}; searched for {pattern}. Is this "
        f"the folder that holds the dataset's {pattern.split('/')[0]} folders?"
    )


def _require(path: Path, dataset: str, what: str) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{dataset}: {what} {str(path)!r} is missing")
    return path


def _select(recordings: list[Recording], subjects, dataset: str) -> list[Recording]:
    if subjects is None:
        return recordings
    if isinstance(subjects, str | numbers.Integral):
        subjects = [subjects]
    wanted = [str(s) for s in subjects]
    available = sorted({r.subject for r in recordings}, key=_natural_key)
    missing = [s for s in wanted if s not in available]
    if missing:
        raise ValueError(
            f"{dataset}: subjects {missing} not found; available subjects: {available}"
        )
    keep = set(wanted)
    return [r for r in recordings if r.subject in keep]


class _Found(NamedTuple):
    """A recording a loader's ``find`` found: the fields of its :class:`Recording` that are
    its own (the others are the dataset's)."""

    recording_id: str
    subject: str
    session: str | None
    video: Path
    label: Path


def _load_dataset(
    path,
    subjects,
    tolerance,
    *,
    name: str,
    fs: float,
    label_fs: float,
    reader: Callable[[Recording], Bunch],
    find: Callable[[Path], Iterable[_Found]],
    pattern: str,
    description: str,
) -> Bunch:
    """What every loader does around finding its recordings.

    Checks ``path`` and ``tolerance``, makes a :class:`Recording` (read by ``reader``) of
    each recording that ``find(root)`` finds, in its order, raises :func:`_no_recordings` with
    ``pattern`` if it finds none, keeps the ``subjects`` asked for and returns the dataset's
    Bunch; ``description`` is formatted with ``root``, ``n_recordings`` and ``n_subjects``.
    """
    root = _check_root(path, name)
    tolerance = _check_tolerance(tolerance)
    recordings = [
        Recording(
            name, **found._asdict(), fs=fs, label_fs=label_fs, tolerance=tolerance, _reader=reader
        )
        for found in find(root)
    ]
    if not recordings:
        raise _no_recordings(name, root, pattern)
    recordings = _select(recordings, subjects, name)
    desc = description.format(
        root=root, n_recordings=len(recordings), n_subjects=len({r.subject for r in recordings})
    )
    return _dataset_bunch(name, root, recordings, fs, label_fs, desc)


def _dataset_bunch(
    name: str, root: Path, recordings: list[Recording], fs: float, label_fs: float, desc: str
) -> Bunch:
    index = pd.DataFrame(
        {
            "recording": [r.recording_id for r in recordings],
            "subject": [r.subject for r in recordings],
            "session": [r.session for r in recordings],
            "video": [str(r.video) for r in recordings],
            "label": [str(r.label) for r in recordings],
        }
    )
    return Bunch(
        name=name,
        path=root,
        recordings=recordings,
        recording_ids=[r.recording_id for r in recordings],
        groups=np.array([r.subject for r in recordings], dtype=str),
        subjects=sorted({r.subject for r in recordings}, key=_natural_key),
        index=index,
        fs=fs,
        label_fs=label_fs,
        description=desc,
    )


def _malformed(path: Path, expected: str, got: str) -> ValueError:
    return ValueError(f"malformed label file {str(path)!r}: expected {expected}; {got}")


def _check_label_times(times: np.ndarray, path: Path, what: str) -> None:
    if not np.all(np.isfinite(times)):
        raise _malformed(path, f"finite {what}", "found NaN or infinite values")
    if times.size < 2:
        raise _malformed(path, "at least 2 label samples", f"got {times.size}")
    steps = np.diff(times)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0))
        raise _malformed(
            path,
            f"strictly increasing {what}",
            f"sample {i + 1} ({float(times[i + 1])!r}) does not come after sample {i} "
            f"({float(times[i])!r})",
        )


def _check_values(values: np.ndarray, path: Path, what: str) -> None:
    if not np.all(np.isfinite(values)):
        i = int(np.argmax(~np.isfinite(values)))
        raise _malformed(path, f"finite {what} values", f"sample {i} is {float(values[i])!r}")


def _to_frames(rec: Recording, frame_times, label_times, *series) -> tuple[list, int]:
    """Interpolate each label series at the frame times; raise if they cannot be aligned."""
    lo, hi = float(label_times[0]), float(label_times[-1])
    first, last = float(frame_times[0]), float(frame_times[-1])
    tol = rec.tolerance
    problems = []
    if first < lo - tol:
        n = int(np.sum(frame_times < lo))
        problems.append(
            f"the video starts {lo - first:.3f} s ({n} frames) before the first label sample "
            f"(first frame at {first:.3f} s, first label at {lo:.3f} s)"
        )
    if last > hi + tol:
        n = int(np.sum(frame_times > hi))
        problems.append(
            f"the video runs {last - hi:.3f} s ({n} frames) past the last label sample "
            f"(last frame at {last:.3f} s, last label at {hi:.3f} s)"
        )
    if problems:
        raise ValueError(
            f"{rec.dataset} {rec.recording_id}: cannot align the {len(frame_times)} frames of "
            f"{str(rec.video)!r} with the {len(label_times)} label samples of "
            f"{str(rec.label)!r}: {'; '.join(problems)}; at most tolerance={tol} s may lie "
            "outside the labels"
        )
    outside = int(np.sum((frame_times < lo) | (frame_times > hi)))
    return [np.interp(frame_times, label_times, s) for s in series], outside


def _read_avi(rec: Recording) -> Bunch:
    """Frames and timestamps of a video file, with a ValueError naming the recording."""
    try:
        return read_video(rec.video)
    except ValueError as exc:
        raise ValueError(f"{rec.dataset} {rec.recording_id}: {exc}") from None


def _import_h5py(what: str):
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a dependency
        raise ImportError(f"reading {what} needs h5py: pip install h5py") from None
    return h5py
