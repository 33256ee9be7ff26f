"""Fixtures of the dataset-loader tests: tiny copies of each dataset's on-disk layout.

The videos are synthetic (``make_synthetic_rppg``, 32 x 32, 6 s at 30 fps) and written
losslessly (FFV1 in ``.avi``, PNG, MATLAB ``.mat``) so that loaded frames can be compared
with the written ones exactly. Labels are written in each dataset's real format at its own
rate (UBFC-rPPG 50 Hz here, PURE 60 Hz, COHFACE 256 Hz, MMPD one sample per frame), so that
resampling to the frame times is exercised.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from lqrppg.datasets import make_synthetic_rppg
from lqrppg.video import write_video

cv2 = pytest.importorskip("cv2")

FS = 30.0
#: First frame time of the PURE fixtures, in ns (a real PURE-like clock value).
PURE_T0 = 1392643993642815000


def label_signal(t: np.ndarray, phase: float = 0.0) -> np.ndarray:
    """A pulse-like contact-PPG label at times ``t`` (s): 1.2 Hz with a harmonic."""
    return 100 + 20 * np.sin(2 * np.pi * 1.2 * t + phase) + 5 * np.sin(2 * np.pi * 2.4 * t)


def write_ubfc_subject(root: Path, name: str, frames, *, label_fs=50.0, span=None, fn=None):
    """``<root>/<name>/vid.avi`` (FFV1) and ``ground_truth.txt`` sampled at ``label_fs``."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    write_video(folder / "vid.avi", frames, FS, codec="FFV1")
    duration = len(frames) / FS if span is None else span
    t = np.arange(0.0, duration, 1 / label_fs)
    ppg = (fn or label_signal)(t)
    hr = np.full(t.size, 72.0)
    text = "\n".join("  ".join(f"{v:.9e}" for v in row) for row in (ppg, hr, t))
    (folder / "ground_truth.txt").write_text(text + "\n")
    return SimpleNamespace(folder=folder, t=t, ppg=ppg, hr=hr)


def write_pure_recording(root: Path, rid: str, frames, *, nested: bool, jitter_seed=0):
    """A PURE recording: ``Image<ns>.png`` frames and the JSON of a 60 Hz oximeter."""
    rng = np.random.default_rng(jitter_seed)
    n = len(frames)
    # Frame times at 30 fps with a few ms of jitter, as a real camera delivers them.
    stamps = PURE_T0 + np.rint(np.arange(n) * 1e9 / FS + rng.uniform(-3e6, 3e6, n)).astype(np.int64)
    stamps[0] = PURE_T0
    img_dir = root / rid / rid if nested else root / rid
    img_dir.mkdir(parents=True, exist_ok=True)
    for stamp, frame in zip(stamps, frames, strict=True):
        cv2.imwrite(str(img_dir / f"Image{stamp}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    # Oximeter packages at 60 Hz from 10 ms before the first frame to after the last one.
    pkg = PURE_T0 - 10_000_000 + np.arange(int((n / FS + 0.1) * 60)) * (1_000_000_000 // 60)
    t = (pkg - PURE_T0) / 1e9
    wave = np.rint(label_signal(t)).astype(int)
    data = {
        "/FullPackage": [
            {
                "Timestamp": int(s),
                "Value": {
                    "waveform": int(w),
                    "pulseRate": 72,
                    "o2saturation": 98,
                    "signalStrength": 5,
                },
            }
            for s, w in zip(pkg, wave, strict=True)
        ],
        "/Image": [{"Timestamp": int(s)} for s in stamps],
    }
    json_path = (root / rid / f"{rid}.json") if nested else (root / f"{rid}.json")
    json_path.write_text(json.dumps(data))
    return SimpleNamespace(
        stamps=stamps, t=t, wave=wave.astype(float), json=json_path, images=img_dir
    )


def write_cohface_session(root: Path, subject: str, session: str, frames, *, span=None):
    """``<root>/<subject>/<session>/data.avi`` and ``data.hdf5`` (pulse, respiration, time)."""
    import h5py

    folder = root / subject / session
    folder.mkdir(parents=True, exist_ok=True)
    write_video(folder / "data.avi", frames, 20.0, codec="FFV1")
    duration = len(frames) / 20.0 if span is None else span
    t = np.arange(0.0, duration, 1 / 256)
    pulse = label_signal(t, phase=0.3)
    resp = np.sin(2 * np.pi * 0.25 * t)
    with h5py.File(folder / "data.hdf5", "w") as fh:
        fh["pulse"] = pulse
        fh["respiration"] = resp
        fh["time"] = t
    return SimpleNamespace(folder=folder, t=t, pulse=pulse, resp=resp)


def write_mmpd_file(root: Path, subject: int, index: int, frames, *, n_labels=None):
    """``<root>/subject<k>/p<k>_<n>.mat`` (MATLAB v5) as mini-MMPD stores it."""
    from scipy.io import savemat

    folder = root / f"subject{subject}"
    folder.mkdir(parents=True, exist_ok=True)
    n = len(frames) if n_labels is None else n_labels
    ppg = label_signal(np.arange(n) / FS)
    path = folder / f"p{subject}_{index}.mat"
    savemat(
        path,
        {
            "video": frames.astype(np.float32) / 255.0,
            "GT_ppg": ppg[None, :],
            "light": "LED-low",
            "motion": "Stationary",
            "exercise": "False",
            "skin_color": np.array([[3]]),
            "gender": "male",
            "glasser": "False",
            "hair_cover": "False",
            "makeup": "False",
        },
    )
    return SimpleNamespace(path=path, ppg=ppg)


@pytest.fixture(scope="session")
def videos():
    """Two 6-s synthetic face videos, (2, 180, 32, 32, 3) uint8 at 30 fps."""
    data = make_synthetic_rppg(
        n_subjects=2, duration=6, fs=FS, frame_size=(32, 32), motion="none", random_state=0
    )
    return data.videos


@pytest.fixture(scope="session")
def writers():
    """The functions that write one recording of each dataset's layout."""
    return SimpleNamespace(
        ubfc=write_ubfc_subject,
        pure=write_pure_recording,
        cohface=write_cohface_session,
        mmpd=write_mmpd_file,
        label_signal=label_signal,
    )


@pytest.fixture(scope="session")
def ubfc_dir(tmp_path_factory, videos):
    """UBFC-rPPG layout with subject1 and subject2 (do not modify: shared by tests)."""
    root = tmp_path_factory.mktemp("ubfc")
    written = {
        f"subject{i + 1}": write_ubfc_subject(root, f"subject{i + 1}", v)
        for i, v in enumerate(videos)
    }
    return root, written
