"""``PhysNetRegressor``: the PhysNet baseline trained by the shared machinery."""

from __future__ import annotations

import torch
from torch import nn

from lqrppg.models._base import BaseVideoRegressor
from lqrppg.nn import PhysNet, neg_pearson_loss

__all__ = ["PhysNetRegressor"]


class PhysNetRegressor(BaseVideoRegressor):
    """PhysNet (Yu et al. 2019) as an estimator: face clips to rPPG waveforms.

    The 3-D convolutional :class:`~lqrppg.nn.PhysNet` is trained with the negative-Pearson
    loss against the standardised contact-PPG label, by the same training loop, validation
    split, augmentation, prediction and persistence code as
    :class:`~lqrppg.models.LQRPPGRegressor`; it is the supervised baseline of the package.
    It has no positional embedding: ``predict`` takes clips of any length T that is a
    multiple of 4 (frames of the fitted size).

    Parameters
    ----------
    chunk_length : int, default=128
        T of the training clips (``fit`` refuses others); a multiple of 4.
    fs : float, default=30.0
        Frame rate in Hz.
    band : (float, float), default=(0.75, 2.5)
        Band in Hz of the heart-rate estimation (``predict_hr``, ``score``, validation HR
        error, augmentation).
    preprocessing : {'standardize', 'none'}, default='standardize'
        uint8 frames are divided by 255, others used as they are; ``'standardize'`` then
        z-scores each clip. rPPG-Toolbox trains PhysNet on 'DiffNormalized' frames and labels
        instead, which this estimator does not offer.
    epochs : int, default=30
    batch_size : int, default=4
    lr : float, default=9e-3
        Peak learning rate of the one-cycle schedule (rPPG-Toolbox's PhysNet setting).
    weight_decay : float, default=0.0
    augment : bool, default=True
        HR-aware temporal resampling and horizontal flips (see
        :func:`lqrppg.models.augment_batch`).
    validation_fraction : float, default=0.2
    early_stopping : bool, default=True
    patience : int, default=10
    device : 'auto', str or torch.device, default='auto'
    num_threads : int or None, default=None
    random_state : int, RandomState, Generator or None, default=None
    verbose : int, default=1
    warm_start : bool, default=False
        See :class:`~lqrppg.models.LQRPPGRegressor` for these parameters.

    Attributes
    ----------
    module_ : PhysNet
    history_ : list of dict
    best_epoch_ : int
    stopped_early_ : bool
    n_validation_clips_ : int
    n_frames_ : int
    fs_ : float
        The frame rate it was fitted at; ``predict_hr`` and ``score`` refuse an ``fs``
        changed after the fit (set it back, or fit again).
    frame_shape_ : (int, int)
    device_ : torch.device

    Notes
    -----
    Input: ``X`` of shape ``(n_clips, T, H, W, 3)`` with T a multiple of 4 and H, W >= 16;
    ``y`` of shape ``(n_clips, T)``.

    Examples
    --------
    >>> from lqrppg.datasets import make_synthetic_rppg
    >>> from lqrppg.models import PhysNetRegressor
    >>> data = make_synthetic_rppg(n_subjects=2, duration=40 / 30, frame_size=(16, 16),
    ...                            random_state=0)
    >>> model = PhysNetRegressor(chunk_length=40, epochs=1, num_threads=1, verbose=0,
    ...                          random_state=0)
    >>> model.fit(data.videos, data.ppg).predict(data.videos).shape
    (2, 40)
    """

    _fixed_length = False

    def __init__(
        self,
        *,
        chunk_length: int = 128,
        fs: float = 30.0,
        band=(0.75, 2.5),
        preprocessing: str = "standardize",
        epochs: int = 30,
        batch_size: int = 4,
        lr: float = 9e-3,
        weight_decay: float = 0.0,
        augment: bool = True,
        validation_fraction: float = 0.2,
        early_stopping: bool = True,
        patience: int = 10,
        device="auto",
        num_threads: int | None = None,
        random_state=None,
        verbose: int = 1,
        warm_start: bool = False,
    ):
        self.chunk_length = chunk_length
        self.fs = fs
        self.band = band
        self.preprocessing = preprocessing
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.augment = augment
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.device = device
        self.num_threads = num_threads
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def _check_method_params(self, fs: float) -> None:
        if self.chunk_length % 4:
            raise ValueError(
                f"chunk_length must be a multiple of 4 (PhysNet pools time twice by 2); "
                f"got {self.chunk_length!r}"
            )

    def _check_geometry(self, T: int, H: int, W: int) -> None:
        if T % 4:
            raise ValueError(
                f"X has clips of T={T} frames (axis 1); PhysNet pools time twice by 2, so T must "
                "be a multiple of 4"
            )
        if H < 16 or W < 16:
            raise ValueError(
                f"X has frames of H x W = {H} x {W} (axes 2, 3); PhysNet needs H, W >= 16"
            )

    def _build_module(self, T: int, H: int, W: int) -> nn.Module:
        return PhysNet()

    def _loss(
        self, module: nn.Module, x: torch.Tensor, targets: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        wave = module(x)
        return neg_pearson_loss(wave, targets[:, 0]), wave

    def _output(self, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return module(x)
