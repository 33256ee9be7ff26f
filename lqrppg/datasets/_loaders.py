"""Loaders of the public rPPG video datasets: UBFC-rPPG, PURE, COHFACE and MMPD.

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

import json
import numbers
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..video import read_video

__all__ = ["Recording", "load_cohface", "load_mmpd", "load_pure", "load_ubfc_rppg"]

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


# --------------------------------------------------------------------------------------------
# UBFC-rPPG
# --------------------------------------------------------------------------------------------
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
    name = "UBFC-rPPG"
    root = _check_root(path, name)
    tolerance = _check_tolerance(tolerance)
    folders = sorted(
        (p for p in root.glob("subject*") if p.is_dir()), key=lambda p: _natural_key(p.name)
    )
    if not folders:
        raise _no_recordings(name, root, "'subject*/vid.avi' with 'subject*/ground_truth.txt'")
    recordings = []
    for folder in folders:
        label = folder / "ground_truth.txt"
        if not label.exists() and (folder / "gtdump.xmp").exists():
            raise FileNotFoundError(
                f"{name}: {str(label)!r} is missing; {folder.name} has a 'gtdump.xmp', the "
                "layout of UBFC-rPPG DATASET_1, which this loader does not read (DATASET_2 "
                "only)"
            )
        recordings.append(
            Recording(
                dataset=name,
                recording_id=folder.name,
                subject=folder.name,
                session=None,
                video=_require(folder / "vid.avi", name, "video"),
                label=_require(label, name, "label file"),
                fs=30.0,
                label_fs=30.0,
                tolerance=tolerance,
                _reader=_read_ubfc,
            )
        )
    recordings = _select(recordings, subjects, name)
    desc = (
        f"UBFC-rPPG DATASET_2 at {root}: {len(recordings)} subjects, one video each "
        "(30 fps) with a finger pulse-oximeter PPG and heart rate."
    )
    return _dataset_bunch(name, root, recordings, 30.0, 30.0, desc)


# --------------------------------------------------------------------------------------------
# PURE
# --------------------------------------------------------------------------------------------
_PURE_NAME = re.compile(r"^(\d+)-(\d+)$")
_PURE_IMAGE = re.compile(r"^Image(\d+)\.png$", re.IGNORECASE)
_PURE_EXPECTED = (
    'a JSON object with "/FullPackage", a list of {"Timestamp": <ns>, "Value": {"waveform": '
    '<number>, "pulseRate": <bpm>, ...}}, and "/Image", a list of {"Timestamp": <ns>}'
)


def _pure_frames(rec: Recording) -> tuple[list[Path], np.ndarray | None]:
    """The PNG frames of a PURE recording in time order and their ns stamps (from names)."""
    files = [p for p in rec.video.iterdir() if p.suffix.lower() == ".png"]
    if not files:
        raise ValueError(
            f"{rec.dataset} {rec.recording_id}: no PNG frames in {str(rec.video)!r}; expected "
            "files named Image<timestamp in ns>.png"
        )
    matches = [_PURE_IMAGE.match(p.name) for p in files]
    if all(matches):
        stamps = np.array([int(m.group(1)) for m in matches], dtype=np.int64)
        order = np.argsort(stamps, kind="stable")
        return [files[i] for i in order], stamps[order]
    return sorted(files, key=lambda p: _natural_key(p.name)), None


def _parse_pure_json(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _malformed(path, _PURE_EXPECTED, f"it is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("/FullPackage"), list):
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise _malformed(path, _PURE_EXPECTED, f"found {keys}")
    stamps, waves, rates = [], [], []
    for k, entry in enumerate(data["/FullPackage"]):
        try:
            value = entry["Value"]
            stamps.append(int(entry["Timestamp"]))
            waves.append(float(value["waveform"]))
            rates.append(float(value.get("pulseRate", np.nan)))
        except (KeyError, TypeError, ValueError) as exc:
            raise _malformed(
                path, _PURE_EXPECTED, f"entry {k} of /FullPackage is {entry!r} ({exc!r})"
            ) from None
    images = None
    if isinstance(data.get("/Image"), list):
        try:
            images = np.array([int(e["Timestamp"]) for e in data["/Image"]], dtype=np.int64)
        except (KeyError, TypeError, ValueError) as exc:
            raise _malformed(path, _PURE_EXPECTED, f"bad /Image entry ({exc!r})") from None
    return {
        "stamps": np.array(stamps, dtype=np.int64),
        "waveform": np.array(waves, dtype=np.float64),
        "pulse_rate": np.array(rates, dtype=np.float64),
        "images": images,
    }


def _read_png_frames(files: Sequence[Path], rec: Recording) -> np.ndarray:
    import cv2

    frames = None
    for k, f in enumerate(files):
        img = cv2.imread(str(f), cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(
                f"{rec.dataset} {rec.recording_id}: cannot read frame {str(f)!r} as an image"
            )
        if frames is None:
            frames = np.empty((len(files), *img.shape), dtype=np.uint8)
        elif img.shape != frames.shape[1:]:
            raise ValueError(
                f"{rec.dataset} {rec.recording_id}: frame {str(f)!r} has shape {img.shape}, "
                f"unlike the first frame's {frames.shape[1:]}"
            )
        cv2.cvtColor(img, cv2.COLOR_BGR2RGB, dst=frames[k])
    return frames


def _read_pure(rec: Recording) -> Bunch:
    files, stamps = _pure_frames(rec)
    label = _parse_pure_json(rec.label)
    if stamps is None:
        images = label["images"]
        if images is None or images.size != len(files):
            raise ValueError(
                f"{rec.dataset} {rec.recording_id}: the PNG names in {str(rec.video)!r} carry "
                "no timestamps (expected Image<ns>.png) and the /Image list of "
                f"{str(rec.label)!r} does not give one per frame ({len(files)} frames, "
                f"{None if images is None else images.size} /Image entries)"
            )
        stamps = images
    _check_label_times(label["stamps"].astype(np.float64), rec.label, "/FullPackage timestamps")
    _check_values(label["waveform"], rec.label, "/FullPackage waveform")
    frames = _read_png_frames(files, rec)
    t0 = int(stamps[0])
    # Subtract in integers first: ns since 1970 do not fit a float64 at ns resolution.
    frame_times = (stamps - t0).astype(np.float64) / 1e9
    label_times = (label["stamps"] - t0).astype(np.float64) / 1e9
    (ppg, hr), outside = _to_frames(
        rec, frame_times, label_times, label["waveform"], label["pulse_rate"]
    )
    fps = (len(frame_times) - 1) / frame_times[-1] if frame_times[-1] > 0 else rec.fs
    return Bunch(
        frames=frames,
        timestamps=frame_times,
        ppg=ppg,
        fs=float(fps),
        label_times=label_times,
        label_values=label["waveform"],
        n_extrapolated=outside,
        hr=hr,
        extra={},
    )


def load_pure(path, *, subjects=None, tolerance: float = _DEFAULT_TOLERANCE) -> Bunch:
    """Find the recordings of PURE (Stricker et al. 2014); nothing is decoded.

    PURE has 10 subjects in 6 setups (steady, talking, slow and fast translation, small and
    medium rotation), ``NN-MM`` for subject ``NN`` and setup ``MM``. Each recording is a
    folder of lossless PNG frames (640 x 480, 30 fps) named ``Image<timestamp>.png`` and a
    JSON file whose ``"/FullPackage"`` list holds the pulse oximeter's 60 Hz packages
    ``{"Timestamp": ns, "Value": {"waveform": ..., "pulseRate": ..., "o2saturation": ...,
    "signalStrength": ...}}`` and whose ``"/Image"`` list holds ``{"Timestamp": ns}`` per
    frame; all timestamps are nanoseconds on one clock. Both layouts in use are read:

    - as distributed: ``<path>/NN-MM/Image*.png`` and ``<path>/NN-MM.json``;
    - as rPPG-Toolbox arranges it: ``<path>/NN-MM/NN-MM/Image*.png`` and
      ``<path>/NN-MM/NN-MM.json``.

    The waveform is interpolated at the frame timestamps (from the PNG names, else from
    ``"/Image"``); times are given in seconds from the first frame.

    Parameters
    ----------
    path : str or os.PathLike
        The folder holding the ``NN-MM`` folders.
    subjects : sequence of str, optional
        Subject ids to keep (``"01"`` to ``"10"``); default: all.
    tolerance : float, default=0.5
        Seconds of video allowed outside the labelled span at either end; see
        :meth:`Recording.load`.

    Returns
    -------
    Bunch
        As :func:`load_ubfc_rppg`, with recording ids ``"NN-MM"``, subjects ``"NN"``,
        sessions ``"MM"``, ``fs`` 30.0 and ``label_fs`` 60.0; ``name`` is "PURE".

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist or a recording lacks its JSON file.
    ValueError
        If no ``NN-MM`` folder is found (the message gives the pattern searched) or unknown
        ``subjects`` are asked for.
    """
    name = "PURE"
    root = _check_root(path, name)
    tolerance = _check_tolerance(tolerance)
    folders = sorted(
        (p for p in root.iterdir() if p.is_dir() and _PURE_NAME.match(p.name)),
        key=lambda p: _natural_key(p.name),
    )
    if not folders:
        raise _no_recordings(name, root, "'NN-MM/' folders of Image*.png with 'NN-MM.json'")
    recordings = []
    for folder in folders:
        rid = folder.name
        nested = folder / rid
        video = nested if nested.is_dir() else folder
        label = folder / f"{rid}.json"
        if not label.exists():
            label = root / f"{rid}.json"
        if not label.exists():
            raise FileNotFoundError(
                f"{name}: the label file of {rid} is missing; looked for "
                f"{str(folder / f'{rid}.json')!r} and {str(root / f'{rid}.json')!r}"
            )
        subject, session = _PURE_NAME.match(rid).groups()
        recordings.append(
            Recording(
                dataset=name,
                recording_id=rid,
                subject=subject,
                session=session,
                video=video,
                label=label,
                fs=30.0,
                label_fs=60.0,
                tolerance=tolerance,
                _reader=_read_pure,
            )
        )
    recordings = _select(recordings, subjects, name)
    n_subj = len({r.subject for r in recordings})
    desc = (
        f"PURE at {root}: {len(recordings)} recordings of {n_subj} subjects, PNG frames at "
        "30 fps with a 60 Hz finger pulse-oximeter waveform."
    )
    return _dataset_bunch(name, root, recordings, 30.0, 60.0, desc)


# --------------------------------------------------------------------------------------------
# COHFACE
# --------------------------------------------------------------------------------------------
_COHFACE_EXPECTED = (
    "an HDF5 file with 1-D datasets 'pulse' and 'time' (seconds) of equal length, and "
    "optionally 'respiration'"
)


def _import_h5py(what: str):
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a dependency
        raise ImportError(f"reading {what} needs h5py: pip install h5py") from None
    return h5py


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
    name = "COHFACE"
    root = _check_root(path, name)
    tolerance = _check_tolerance(tolerance)
    sessions = {
        p.parent for pattern in ("*/*/data.avi", "*/*/data.hdf5") for p in root.glob(pattern)
    }
    if not sessions:
        raise _no_recordings(name, root, "'<subject>/<session>/data.avi' with 'data.hdf5'")
    recordings = []
    for folder in sorted(
        sessions, key=lambda p: (_natural_key(p.parent.name), _natural_key(p.name))
    ):
        subject, session = folder.parent.name, folder.name
        recordings.append(
            Recording(
                dataset=name,
                recording_id=f"{subject}/{session}",
                subject=subject,
                session=session,
                video=_require(folder / "data.avi", name, "video"),
                label=_require(folder / "data.hdf5", name, "label file"),
                fs=20.0,
                label_fs=256.0,
                tolerance=tolerance,
                _reader=_read_cohface,
            )
        )
    recordings = _select(recordings, subjects, name)
    n_subj = len({r.subject for r in recordings})
    desc = (
        f"COHFACE at {root}: {len(recordings)} sessions of {n_subj} subjects, 20 fps video "
        "with a 256 Hz contact blood-volume pulse and respiration."
    )
    return _dataset_bunch(name, root, recordings, 20.0, 256.0, desc)


# --------------------------------------------------------------------------------------------
# MMPD
# --------------------------------------------------------------------------------------------
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
    name = "MMPD"
    root = _check_root(path, name)
    tolerance = _check_tolerance(tolerance)
    files = [p for p in root.glob("subject*/p*_*.mat") if p.is_file()]
    if not files:
        raise _no_recordings(name, root, "'subject*/p*_*.mat'")
    files.sort(key=lambda p: (_natural_key(p.parent.name), _natural_key(p.stem)))
    recordings = [
        Recording(
            dataset=name,
            recording_id=f"{f.parent.name}/{f.stem}",
            subject=f.parent.name,
            session=f.stem,
            video=f,
            label=f,
            fs=30.0,
            label_fs=30.0,
            tolerance=tolerance,
            _reader=_read_mmpd,
        )
        for f in files
    ]
    recordings = _select(recordings, subjects, name)
    n_subj = len({r.subject for r in recordings})
    desc = (
        f"MMPD at {root}: {len(recordings)} videos of {n_subj} subjects at 30 fps with a "
        "contact PPG per frame and the recording conditions."
    )
    return _dataset_bunch(name, root, recordings, 30.0, 30.0, desc)
