"""Datasets: the synthetic rPPG video generator and loaders of real recordings."""

from ._physio import load_bidmc_record, load_iphys_ecg_ppg, load_oximetry_phone_cam
from ._synthetic import make_synthetic_rppg

__all__ = [
    "load_bidmc_record",
    "load_iphys_ecg_ppg",
    "load_oximetry_phone_cam",
    "make_synthetic_rppg",
]
