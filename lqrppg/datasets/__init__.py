"""Datasets: the synthetic rPPG video generator and loaders of real recordings."""

from ._cohface import load_cohface
from ._loaders import Recording
from ._mmpd import load_mmpd
from ._physio import load_bidmc_record, load_iphys_ecg_ppg, load_oximetry_phone_cam
from ._preprocess import preprocess_dataset
from ._pure import load_pure
from ._synthetic import make_synthetic_rppg
from ._ubfc import load_ubfc_rppg

__all__ = [
    "Recording",
    "load_bidmc_record",
    "load_cohface",
    "load_iphys_ecg_ppg",
    "load_mmpd",
    "load_oximetry_phone_cam",
    "load_pure",
    "load_ubfc_rppg",
    "make_synthetic_rppg",
    "preprocess_dataset",
]
