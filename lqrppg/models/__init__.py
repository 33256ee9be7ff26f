"""Trained rPPG models: face clips ``(n_clips, T, H, W, 3)`` to rPPG waveforms ``(n_clips, T)``.

:class:`LQRPPGRegressor` is LQ-rPPG (label quantizers, then the coarse-to-fine network);
:class:`PhysNetRegressor` is the PhysNet baseline. Both share :class:`BaseVideoRegressor`:
input checks, per-batch conversion of clips (:func:`clips_to_tensor`), the authors'
augmentation (:func:`augment_batch`, built on :func:`stretch_time` and
:func:`compress_time`), the training loop of :mod:`lqrppg._training`, ``predict`` /
``predict_hr`` / ``score`` (negative HR MAE), pickling and ``save`` / ``load``.
:meth:`LQRPPGRegressor.pretrained` loads weights shipped in the package
(:data:`PRETRAINED`, :func:`pretrained_path`); :func:`load_authors_checkpoint` loads the
LQ-rPPG authors' released real-data models from a copy of their files. This subpackage
imports torch.
"""

from lqrppg.models._augmentation import augment_batch, compress_time, stretch_time
from lqrppg.models._authors import (
    AUTHORS_PROTOCOLS,
    authors_model_card,
    authors_protocols,
    load_authors_checkpoint,
)
from lqrppg.models._base import BaseVideoRegressor, clips_to_tensor
from lqrppg.models._lqrppg import LQRPPGRegressor
from lqrppg.models._physnet import PhysNetRegressor
from lqrppg.models._pretrained import PRETRAINED, pretrained_path

__all__ = [
    "AUTHORS_PROTOCOLS",
    "PRETRAINED",
    "BaseVideoRegressor",
    "LQRPPGRegressor",
    "PhysNetRegressor",
    "augment_batch",
    "authors_model_card",
    "authors_protocols",
    "clips_to_tensor",
    "compress_time",
    "load_authors_checkpoint",
    "pretrained_path",
    "stretch_time",
]
