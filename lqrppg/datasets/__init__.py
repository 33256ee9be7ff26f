"""Datasets: the synthetic rPPG video generator and loaders of real recordings."""

from ._loaders import Recording, load_cohface, load_mmpd, load_pure, load_ubfc_rppg
from ._physio import load_bidmc_record, load_iphys_ecg_ppg, load_oximetry_phone_cam
from ._preprocess import preprocess_dataset
from ._synthetic import make_synthetic_rppg

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
