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
video
    Video files, face cropping, frame normalisation, clip cutting and streaming (OpenCV).
quantization
    ``LabelQuantizer``: contact-PPG labels to multi-level pseudo labels (imports torch).
nn
    Torch modules and losses (imports torch).
models
    ``LQRPPGRegressor`` and the ``PhysNetRegressor`` baseline: face clips to rPPG
    waveforms (imports torch).
pipeline
    From a video or a recording to a result: ``predict_video``, ``predict_frames``,
    ``predict_recording``.

Estimators and the one-call video API are also reachable from the top level, imported on
first use: ``lqrppg.LabelQuantizer``, ``lqrppg.LQRPPGRegressor``,
``lqrppg.PhysNetRegressor``, ``lqrppg.predict_video``, ``lqrppg.predict_frames``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0.dev0"

_SUBMODULES = (
    "signal",
    "metrics",
    "baselines",
    "datasets",
    "plotting",
    "nn",
    "quantization",
    "video",
    "models",
    "pipeline",
)

# Names reachable as ``lqrppg.<name>``, imported from their subpackage on first access.
_LAZY_CLASSES = {
    "LabelQuantizer": "quantization",
    "LQRPPGRegressor": "models",
    "PhysNetRegressor": "models",
    "predict_video": "pipeline",
    "predict_frames": "pipeline",
    "VideoResult": "pipeline",
}

__all__ = ["__version__", *_SUBMODULES, *_LAZY_CLASSES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"lqrppg.{name}")
    if name in _LAZY_CLASSES:
        return getattr(importlib.import_module(f"lqrppg.{_LAZY_CLASSES[name]}"), name)
    raise AttributeError(f"module 'lqrppg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
