"""lqrppg: remote photoplethysmography with a scikit-learn API.

Subpackages are imported on first use so that ``import lqrppg`` stays light
(torch, OpenCV and matplotlib load only when a component that needs them is used).

Subpackages
-----------
signal
    Detrending, band-pass filtering, heart-rate estimation, SNR and transformers.
metrics
    HR metrics with standard errors, scorers and Bland-Altman statistics.
baselines
    Unsupervised rPPG methods (GREEN, CHROM, POS, LGI, PBV, ICA, OMIT).
datasets
    Synthetic rPPG video generator and real-data helpers.
plotting
    Figures (imports matplotlib lazily).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0.dev0"

_SUBMODULES = ("signal", "metrics", "baselines", "datasets", "plotting", "nn")

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"lqrppg.{name}")
    raise AttributeError(f"module 'lqrppg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
