"""Loaders for the small public physiological recordings used in tests and benchmarks.

They read the on-disk layouts described in ``shared/data/README.md`` (the project does not
ship these recordings): the oximetry phone-camera study (Hoffman et al. 2022), the
iphys-toolbox ECG/PPG example, and BIDMC record 01 (Pimentel et al. 2016).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

__all__ = ["load_bidmc_record", "load_iphys_ecg_ppg", "load_oximetry_phone_cam"]


def _require_dir(path, what: str) -> Path:
    p = Path(path)
    if not p.is_dir():
        raise FileNotFoundError(f"{what}: folder {str(p)!r} not found")
    return p


def _require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{what}: expected file {str(path)!r} is missing")
    return path


def load_oximetry_phone_cam(path, *, subjects=None, hand: str = "Left") -> Bunch:
    """Load the phone-camera fingertip recordings of the oximetry study (Hoffman et al. 2022).

    Each subject held a fingertip on a phone camera with its flash on; the recording holds
    the per-frame mean R, G, B of the camera image at 30 Hz (no timestamps), and pulse
    oximeters logged heart rate once a second from the same start.

    Parameters
    ----------
    path : str or Path
        The ``oximetry_phone_cam`` folder (with ``ppg-csv/<hand>/<id>.csv`` and
        ``gt/<id>.csv``).
    subjects : sequence of int, optional
        Subject ids to load (default: every subject with a camera file).
    hand : str, default="Left"
        Sub-folder of ``ppg-csv``.

    Returns
    -------
    Bunch
        ``traces``: list of (T_i, 3) float64 arrays (R, G, B); ``reference``: list of
        DataFrames with one row per second and columns ``time`` (s from start), ``pulse_1``,
        ``pulse_2``, ``pulse_4``, ``pulse_5`` (oximeter HR, bpm) and ``ecg_hr`` (ECG-derived
        HR, bpm); a logged value of 0 means the device gave no reading and is returned as
        NaN; ``subjects``: list of int; ``fs``: 30.0.
    """
    root = _require_dir(path, "oximetry_phone_cam")
    cam_dir = _require_dir(root / "ppg-csv" / hand, "oximetry_phone_cam camera traces")
    available = sorted(int(p.stem) for p in cam_dir.glob("*.csv"))
    if subjects is None:
        subjects = available
    subjects = [int(s) for s in subjects]
    missing = sorted(set(subjects) - set(available))
    if missing:
        raise ValueError(f"subjects {missing} not found in {cam_dir}; available: {available}")
    traces, references = [], []
    columns = {
        "Pulse 1": "pulse_1",
        "Pulse 2": "pulse_2",
        "Pulse 4": "pulse_4",
        "Pulse 5": "pulse_5",
        "RR ECG 3": "ecg_hr",
    }
    for sid in subjects:
        rgb = pd.read_csv(_require_file(cam_dir / f"{sid}.csv", "camera trace"))
        if list(rgb.columns) != ["R", "G", "B"]:
            raise ValueError(
                f"{cam_dir / f'{sid}.csv'}: expected header R,G,B; got {list(rgb.columns)}"
            )
        traces.append(rgb.to_numpy(dtype=np.float64))
        gt = pd.read_csv(
            _require_file(root / "gt" / f"{sid}.csv", "reference"), encoding="utf-8-sig"
        )
        gt.columns = [str(c).strip() for c in gt.columns]
        ref = pd.DataFrame({"time": np.arange(len(gt), dtype=np.float64)})
        for src, dst in columns.items():
            values = pd.to_numeric(gt[src], errors="coerce").to_numpy(dtype=np.float64, copy=True)
            values[values <= 0] = np.nan
            ref[dst] = values
        references.append(ref)
    return Bunch(traces=traces, reference=references, subjects=subjects, fs=30.0)


def load_iphys_ecg_ppg(path) -> Bunch:
    """Load the iphys-toolbox 60 s synchronised contact ECG and PPG example.

    Parameters
    ----------
    path : str or Path
        The ``iphys_ecg_ppg`` folder (``ECGData.mat``, ``PPGData.mat``).

    Returns
    -------
    Bunch
        ``ecg`` (30000,) at ``ecg_fs`` 500 Hz, ``ppg`` (15000,) at ``ppg_fs`` 250 Hz, and the
        annotated beats ``ecg_peaks`` / ``ppg_peaks`` as 0-based sample indices (the files
        store MATLAB's 1-based indices).
    """
    from scipy.io import loadmat

    root = _require_dir(path, "iphys_ecg_ppg")
    out = {}
    for name in ("ECG", "PPG"):
        mat = loadmat(_require_file(root / f"{name}Data.mat", name))
        rec = mat[name]
        out[name.lower()] = np.asarray(rec["data"][0, 0], dtype=np.float64).ravel()
        out[f"{name.lower()}_fs"] = float(np.asarray(rec["fs"][0, 0]).ravel()[0])
        out[f"{name.lower()}_peaks"] = np.asarray(rec["peaks"][0, 0]).ravel().astype(np.int64) - 1
    return Bunch(**out)


def load_bidmc_record(path) -> Bunch:
    """Load BIDMC PPG and Respiration record 01 (Pimentel et al. 2016) from its CSV export.

    Parameters
    ----------
    path : str or Path
        The ``bidmc_01`` folder (``bidmc_01_Signals.csv``).

    Returns
    -------
    Bunch
        ``time`` (s), ``pleth`` (fingertip PPG), ``ecg_ii``, ``ecg_v``, ``ecg_avr``, ``resp``,
        each (60001,) float64, and ``fs`` = 125.0.
    """
    root = _require_dir(path, "bidmc_01")
    frame = pd.read_csv(_require_file(root / "bidmc_01_Signals.csv", "BIDMC signals"))
    frame.columns = [str(c).strip() for c in frame.columns]
    time = frame["Time [s]"].to_numpy(dtype=np.float64)
    # The CSV rounds times to 3 decimals (8 ms steps print as 0.008, 0.016, ...): take the
    # rate from the whole span rather than from rounded neighbouring differences.
    fs = (time.size - 1) / (time[-1] - time[0])
    return Bunch(
        time=time,
        pleth=frame["PLETH"].to_numpy(dtype=np.float64),
        ecg_ii=frame["II"].to_numpy(dtype=np.float64),
        ecg_v=frame["V"].to_numpy(dtype=np.float64),
        ecg_avr=frame["AVR"].to_numpy(dtype=np.float64),
        resp=frame["RESP"].to_numpy(dtype=np.float64),
        fs=round(fs, 6),
    )
