"""The loader of PURE (Stricker, Müller and Gross, RO-MAN 2014): PNG frames and a JSON file
of pulse-oximeter samples per recording."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

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
    _to_frames,
)

__all__ = ["load_pure"]

_NAME = "PURE"

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


def _find_pure(root: Path) -> Iterator[_Found]:
    """``NN-MM`` folders in natural order, in either layout, each with its JSON file."""
    folders = (p for p in root.iterdir() if p.is_dir() and _PURE_NAME.match(p.name))
    for folder in sorted(folders, key=lambda p: _natural_key(p.name)):
        rid = folder.name
        nested = folder / rid
        label = folder / f"{rid}.json"
        if not label.exists():
            label = root / f"{rid}.json"
        if not label.exists():
            raise FileNotFoundError(
                f"{_NAME}: the label file of {rid} is missing; looked for "
                f"{str(folder / f'{rid}.json')!r} and {str(root / f'{rid}.json')!r}"
            )
        subject, session = _PURE_NAME.match(rid).groups()
        video = nested if nested.is_dir() else folder
        yield _Found(rid, subject, session, video, label)


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
    return _load_dataset(
        path,
        subjects,
        tolerance,
        name=_NAME,
        fs=30.0,
        label_fs=60.0,
        reader=_read_pure,
        find=_find_pure,
        pattern="'NN-MM/' folders of Image*.png with 'NN-MM.json'",
        description="PURE at {root}: {n_recordings} recordings of {n_subjects} subjects, PNG "
        "frames at 30 fps with a 60 Hz finger pulse-oximeter waveform.",
    )
