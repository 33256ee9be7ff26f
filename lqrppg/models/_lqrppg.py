"""``LQRPPGRegressor``: the LQ-rPPG method (label quantizers + coarse-to-fine network)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from torch import nn

from lqrppg._params import check_lq_params, lq_min_length
from lqrppg._training import broadcast_object, distributed_world
from lqrppg._validation import Boolean, Integer, Options, Real
from lqrppg.models._base import BaseVideoRegressor
from lqrppg.nn import C2FNet, frequency_cross_entropy, neg_pearson_loss
from lqrppg.nn._checks import ARCHITECTURES, check_architecture
from lqrppg.quantization import LabelQuantizer

__all__ = ["LQRPPGRegressor"]


def _unwrap(quantizer: Any) -> Any:
    """The LabelQuantizer inside a ``sklearn.frozen.FrozenEstimator``, or the object."""
    if type(quantizer).__name__ == "FrozenEstimator":
        return quantizer.estimator
    return quantizer


def _is_fitted(est: Any) -> bool:
    try:
        check_is_fitted(est)
    except NotFittedError:
        return False
    return True


class LQRPPGRegressor(BaseVideoRegressor):
    """LQ-rPPG: label-quantized coarse-to-fine rPPG estimation from face clips.

    Training has two stages. **Stage 1** fits a :class:`~lqrppg.quantization.LabelQuantizer`
    on the contact-PPG labels of the training clips alone: one quantizer per level of
    ``levels`` (2, 4, 8, 16, 32 codewords by default), turning each label into pseudo labels
    of growing resolution; coarse levels keep the timing of the pulse and drop amplitude
    noise and beat-shape variation. **Stage 2** freezes the quantizers and trains a
    :class:`~lqrppg.nn.C2FNet` (two-branch frame / frame-difference stem, ``n_blocks``
    bidirectional Mamba blocks, one scalar head after each block and a convolutional
    predictor): every head's output is softly reconstructed through its level's codebook
    and the loss is the sum over the ``n_blocks + 1`` heads of the hybrid loss
    ``pearson_weight * (1 - r) + frequency_weight * frequency cross-entropy`` against its
    level's pseudo label. AdamW with a one-cycle learning-rate schedule; the weights of the
    epoch with the lowest validation loss are kept (:func:`lqrppg._training.train_module`).

    ``predict`` returns the predictor's output, softly reconstructed through the finest
    codebook and standardised per clip: the rPPG waveform.

    The LQ-rPPG authors' released real-data models load into this class with
    :func:`lqrppg.models.load_authors_checkpoint` (``architecture='authors'``).

    Parameters
    ----------
    chunk_length : int, default=160
        T, the frames per clip. ``fit`` refuses clips of another length (cut recordings
        into non-overlapping chunks of this many frames first); the network's positional
        embedding has one learned vector per frame, so ``predict`` takes clips of the
        fitted length only.
    fs : float, default=30.0
        Frame rate in Hz (of the clips and of the labels).
    dim : int, default=64
        Token width of the network (a multiple of 8).
    n_blocks : int, default=4
        Mamba blocks; the network has ``n_blocks + 1`` heads, one per level.
    d_state : int, default=48
        State size of the Mamba blocks.
    d_conv : int, default=4
        Kernel of the Mamba blocks' depthwise convolutions.
    expand : float, default=2
        Inner width factor of the Mamba blocks.
    levels : sequence of int, default=(2, 4, 8, 16, 32)
        Codewords per quantization level, coarse to fine; ``n_blocks + 1`` of them.
    label_quantizer : LabelQuantizer, optional
        The quantizers of stage 1. None (default): a ``LabelQuantizer(levels=levels, fs=fs,
        bpm_range=bpm_range, epochs=quantizer_epochs, device=device, verbose=verbose)``
        with a seed drawn from ``random_state``. An unfitted ``LabelQuantizer``: a clone
        of it is fitted on the training labels (its ``random_state``, when None, is drawn
        from ``random_state``); its ``levels`` must equal ``levels`` and its ``fs`` ``fs``.
        A fitted ``LabelQuantizer``: used as it is, not refitted (its ``levels_`` must equal
        ``levels`` and its T the clips' T). ``clone`` (hence ``GridSearchCV``) turns a
        fitted estimator parameter into an unfitted one; wrap a fitted quantizer in
        :class:`sklearn.frozen.FrozenEstimator` to reuse it across clones. Ignored when
        ``use_label_quantization=False``.
    use_label_quantization : bool, default=True
        False is the ablation without quantization: the same network and heads without
        codebooks (no soft reconstruction), every head trained on the standardised label
        with the same loss; no stage 1.
    quantizer_epochs : int, default=30
        Training epochs per level of the default label quantizer.
    pearson_weight : float, default=0.2
        Weight of the negative-Pearson term of each head's loss.
    frequency_weight : float, default=1.0
        Weight of the frequency cross-entropy term. It needs clips covering one period of
        ``bpm_range[0]``: ``T >= ceil(60 * fs / bpm_range[0])`` (40 at 30 Hz and 45 bpm).
    bpm_range : (int, int), default=(45, 149)
        Heart-rate band of the frequency cross-entropy, in beats per minute.
    band : (float, float), default=(0.75, 2.5)
        Band in Hz of the heart-rate estimation (:func:`lqrppg.signal.estimate_hr`) used by
        ``predict_hr``, ``score``, the validation HR error and the augmentation.
    preprocessing : {'standardize', 'none'}, default='standardize'
        Frames are converted to float32 (uint8 divided by 255, other dtypes as they are);
        ``'standardize'`` then z-scores each clip over all its frames, pixels and channels
        (rPPG-Toolbox's 'Standardized' input, which the authors use with this stem: its
        frame-difference branch sees the temporal changes). Labels are always standardised
        per clip.
    epochs : int, default=50
        Training epochs of the network.
    batch_size : int, default=16
        Clips per training step (and per prediction batch).
    lr : float, default=3e-4
        Peak learning rate of AdamW under the one-cycle schedule.
    weight_decay : float, default=1e-5
        AdamW weight decay.
    augment : bool, default=True
        The authors' augmentation, on the fly per batch, drawn from ``random_state``: with
        probability 0.5 a clip and its label are resampled in time by the label's heart rate
        (above 90 bpm stretched twice slower from a random start, below 75 bpm compressed
        twice faster by taking every second frame and repeating), and with probability 0.5
        the video is mirrored left-right (see :func:`lqrppg.models.augment_batch`). The
        pseudo labels of a resampled label are recomputed by the frozen quantizers.
    validation_fraction : float, default=0.2
        Fraction of the clips held out to choose the best epoch, in [0, 1); with ``groups``
        whole groups are held out. No validation split when this comes to less than one
        clip (the best epoch is then the one with the lowest training loss).
    early_stopping : bool, default=True
        Stop after ``patience`` epochs without improvement of the monitored loss.
    patience : int, default=10
    device : 'auto', str or torch.device, default='auto'
        Where to train and predict; 'auto' is CUDA when available, else the CPU.
    num_threads : int or None, default=None
        Torch CPU threads while fitting and predicting (``torch.set_num_threads``, restored
        afterwards; the setting is process-wide while it lasts). None leaves torch's setting
        alone in ``fit`` and predicts on one thread: measured by
        ``benchmarks/bench_complexity.py`` on a 2-core CPU, 2 threads ran this network 0.06
        to 0.3 times as fast as 1 at 32 x 32 and at 128 x 128 (and PhysNet 0.3 to 0.9
        times), its operations being too small for a thread pool to pay off; on a busy CPU
        the pool's workers wait for each other. Give a number to use more (it may pay on a
        large, idle machine at 128 x 128).
    random_state : int, RandomState, Generator or None, default=None
        Seeds the validation split, the quantizers, the initial weights, the shuffling and
        the augmentation; the global numpy and torch random states are not touched. The
        same int gives identical predictions on the same machine.
    verbose : int, default=1
        > 0 shows progress bars (quantizer levels, then the network's epochs with the
        training and validation losses and the validation HR error).
    warm_start : bool, default=False
        When fitted before on clips of the same shape, continue training the current
        network (with a fresh optimizer and schedule) and keep the current quantizers;
        parameters that define the network or the quantizers are not re-read.
    architecture : {'lqrppg', 'authors'}, default='lqrppg'
        ``'authors'`` is the exact form of the LQ-rPPG authors' released code, into which
        their checkpoints load: the network of :class:`~lqrppg.nn.C2FNet` with
        ``architecture='authors'`` (stem convolutions with biases, 2x2 pools, no GELU before
        the predictor's last convolution), the default label quantizer of
        :class:`~lqrppg.quantization.LabelQuantizer` with ``architecture='authors'`` and
        ``d_state=48`` (the authors' one-channel encoder), and the authors' test-time
        standardisation of the output, ``(s - mean) / (std + 1e-6)`` per clip with the
        unbiased standard deviation (instead of the population one). ``'lqrppg'`` is ours,
        the form of every model trained with this package so far (the shipped
        ``synthetic-32`` weights among them). Both train with :meth:`fit`.

    Attributes
    ----------
    module_ : C2FNet
        The trained network (eval mode, on ``device_``).
    label_quantizer_ : LabelQuantizer or None
        The fitted quantizers (None without label quantization).
    codebooks_ : list of ndarray or None
        The sorted codebook of every level (None without label quantization).
    history_ : list of dict
        One dict per epoch: ``epoch``, ``train_loss``, ``val_loss``, ``val_hr_mae`` (mean
        absolute difference in bpm between the heart rates of the predicted waveforms and
        of the labels of the validation clips; absent without validation clips), ``lr``,
        ``time_s``.
    best_epoch_ : int
        1-based epoch whose weights were kept.
    stopped_early_ : bool
    n_validation_clips_ : int
    n_frames_ : int
        T of the training clips.
    fs_ : float
        The frame rate it was fitted at; ``predict_hr`` and ``score`` refuse an ``fs``
        changed after the fit (set it back, or fit again).
    frame_shape_ : (int, int)
        H, W of the training clips; ``predict`` takes clips of this size.
    device_ : torch.device
    metadata_ : dict
        JSON-able facts saved with the model: empty after :meth:`fit`; for a model imported
        by :func:`lqrppg.models.load_authors_checkpoint`, its source (repository, commit,
        files and their SHA-256), training data, terms, and the preprocessing it expects
        (``metadata_["preprocessing"]``).

    See Also
    --------
    lqrppg.models.PhysNetRegressor : a baseline network trained by the same machinery.
    lqrppg.quantization.LabelQuantizer : stage 1 on its own.
    lqrppg.nn.C2FNet : the network.

    Notes
    -----
    Input: ``X`` of shape ``(n_clips, T, H, W, 3)``, face crops in RGB, with H and W
    multiples of 8 (the stem halves them three times); ``y`` of shape ``(n_clips, T)``.
    Validation clips are held out before stage 1, so the quantizers never see their labels.

    :meth:`score` is the negative mean absolute HR error, not R²: see its docstring. In a
    search, pass ``scoring=lqrppg.metrics.neg_hr_mae(fs)`` with a
    :class:`~sklearn.model_selection.GroupKFold` over subjects; ``docs/guide/scaling.md`` shows
    the same search on a dask cluster.

    A fitted estimator pickles with its networks on the CPU and moves them back to its
    device when unpickled where that device exists (else it stays on the CPU, with a
    warning); :meth:`save` and :meth:`load` write and read a weights-only file.

    Examples
    --------
    >>> from lqrppg.datasets import make_synthetic_rppg
    >>> from lqrppg.models import LQRPPGRegressor
    >>> data = make_synthetic_rppg(n_subjects=2, duration=40 / 30, frame_size=(16, 16),
    ...                            random_state=0)
    >>> model = LQRPPGRegressor(chunk_length=40, dim=16, n_blocks=2, d_state=4,
    ...                         levels=(2, 4, 8), epochs=1, quantizer_epochs=1,
    ...                         num_threads=1, verbose=0, random_state=0)
    >>> model.fit(data.videos, data.ppg).predict(data.videos).shape
    (2, 40)
    >>> [len(c) for c in model.codebooks_]
    [2, 4, 8]
    """

    #: ``levels``, the loss weights and ``bpm_range`` are checked with their relations by
    #: :func:`lqrppg._params.check_lq_params` (shared with LabelQuantizer).
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **BaseVideoRegressor._parameter_constraints,
        "dim": Integer(8, word="int"),
        "n_blocks": Integer(1, word="int"),
        "d_state": Integer(1, word="int"),
        "d_conv": Integer(1, word="int"),
        "expand": Real(0.0, open_low=True),
        "architecture": Options(ARCHITECTURES),
        "use_label_quantization": Boolean(),
        "quantizer_epochs": Integer(1, word="int"),
    }

    def __init__(
        self,
        *,
        chunk_length: int = 160,
        fs: float = 30.0,
        dim: int = 64,
        n_blocks: int = 4,
        d_state: int = 48,
        d_conv: int = 4,
        expand: float = 2,
        levels=(2, 4, 8, 16, 32),
        label_quantizer=None,
        use_label_quantization: bool = True,
        quantizer_epochs: int = 30,
        pearson_weight: float = 0.2,
        frequency_weight: float = 1.0,
        bpm_range=(45, 149),
        band=(0.75, 2.5),
        preprocessing: str = "standardize",
        epochs: int = 50,
        batch_size: int = 16,
        lr: float = 3e-4,
        weight_decay: float = 1e-5,
        augment: bool = True,
        validation_fraction: float = 0.2,
        early_stopping: bool = True,
        patience: int = 10,
        device="auto",
        num_threads: int | None = None,
        random_state=None,
        verbose: int = 1,
        warm_start: bool = False,
        architecture: str = "lqrppg",
    ):
        self.chunk_length = chunk_length
        self.fs = fs
        self.dim = dim
        self.n_blocks = n_blocks
        self.d_state = d_state
        self.d_conv = d_conv
        self.expand = expand
        self.levels = levels
        self.label_quantizer = label_quantizer
        self.use_label_quantization = use_label_quantization
        self.quantizer_epochs = quantizer_epochs
        self.pearson_weight = pearson_weight
        self.frequency_weight = frequency_weight
        self.bpm_range = bpm_range
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
        self.architecture = architecture

    # ------------------------------------------------------------------ validation

    def _check_method_params(self, fs: float) -> None:
        if self.dim % 8:
            raise ValueError(f"dim must be a multiple of 8; got {self.dim!r}")
        if int(self.expand * self.dim) < 1:
            raise ValueError(
                f"expand * dim must be at least 1; got expand={self.expand}, dim={self.dim}"
            )
        check_lq_params(self, fs)
        levels = tuple(self.levels)
        if len(levels) != self.n_blocks + 1:
            raise ValueError(
                f"levels must hold n_blocks + 1 = {self.n_blocks + 1} sizes (one per head); got "
                f"{len(levels)}: levels={self.levels!r}, n_blocks={self.n_blocks}"
            )
        lq = self.label_quantizer
        if lq is not None and self.use_label_quantization:
            inner = _unwrap(lq)
            if not isinstance(inner, LabelQuantizer):
                raise ValueError(
                    "label_quantizer must be None, a LabelQuantizer (fitted or not) or a "
                    f"FrozenEstimator around a fitted one; got {type(lq).__name__}"
                )
            theirs = inner.levels_ if _is_fitted(inner) else inner.levels
            if tuple(theirs) != levels:
                raise ValueError(
                    f"label_quantizer has levels {tuple(theirs)}, but levels={levels}: they "
                    "must agree (one codebook per head)"
                )
            if not _is_fitted(inner) and inner.fs != fs:
                raise ValueError(
                    f"label_quantizer has fs={inner.fs}, but fs={fs}: the labels are "
                    "sampled at one rate"
                )

    def _min_frames(self, fs: float) -> tuple[int, str]:
        return lq_min_length(self, fs)

    def _check_geometry(self, T: int, H: int, W: int) -> None:
        if H < 8 or W < 8 or H % 8 or W % 8:
            raise ValueError(
                f"X has frames of H x W = {H} x {W} (axes 2, 3); the network's stem halves "
                "them three times, so H and W must be multiples of 8 (e.g. 64 or 128): resize "
                "the face crops"
            )

    # ------------------------------------------------------------------ stages

    def _fit_label_model(self, y_train: np.ndarray, T: int, seed: int) -> None:
        if not self.use_label_quantization:
            self.label_quantizer_ = None
            self.codebooks_ = None
            return
        given = None if self.label_quantizer is None else _unwrap(self.label_quantizer)
        if given is not None and _is_fitted(given):
            if given.n_features_in_ != T:
                raise ValueError(
                    f"the fitted label_quantizer was fitted on labels of T="
                    f"{given.n_features_in_} time steps, but the clips have T={T} frames"
                )
            lq = given
        else:
            if given is None:
                authors = {"architecture": "authors", "d_state": 48}
                lq = LabelQuantizer(
                    levels=self.levels,
                    fs=self.fs,
                    bpm_range=self.bpm_range,
                    epochs=self.quantizer_epochs,
                    device=self.device,
                    random_state=seed,
                    verbose=self.verbose,
                    **(authors if self.architecture == "authors" else {}),
                )
            else:
                lq = clone(given)
                if lq.random_state is None:
                    lq.set_params(random_state=seed)
            lq.fit(y_train)
        self.label_quantizer_ = lq
        self.codebooks_ = [np.array(c, dtype=np.float64) for c in lq.codebooks_]

    def _share_label_model(self, device: torch.device) -> None:
        rank = distributed_world()[0]
        state = None
        if rank == 0:
            lq = self.label_quantizer_
            state = None if lq is None else lq._state()
        state = broadcast_object(state)
        if rank != 0:
            self.label_quantizer_ = (
                None if state is None else LabelQuantizer._from_state(state, device, "process 0")
            )
            self.codebooks_ = (
                None
                if state is None
                else [np.array(c, dtype=np.float64) for c in self.label_quantizer_.codebooks_]
            )

    def _quantized(self) -> bool:
        return getattr(self, "label_quantizer_", None) is not None

    def _targets(self, labels: np.ndarray) -> np.ndarray:
        if not self._quantized():
            return super()._targets(labels)
        return self.label_quantizer_.pseudo_labels(labels).astype(np.float32)

    def _targets_tensor(self, labels: torch.Tensor) -> torch.Tensor:
        if not self._quantized():
            return super()._targets_tensor(labels)
        return self.label_quantizer_._pseudo_labels_tensor(labels)

    def _build_module(self, T: int, H: int, W: int) -> nn.Module:
        return C2FNet(
            T,
            self.dim,
            self.n_blocks,
            d_state=self.d_state,
            d_conv=self.d_conv,
            expand=self.expand,
            codebooks=self.codebooks_ if self._quantized() else None,
            codebook_sizes=tuple(self.levels),
            architecture=self.architecture,
        )

    def _loss(
        self, module: nn.Module, x: torch.Tensor, targets: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        out = module(x)
        k = targets.shape[1]
        pw, fw = self.pearson_weight, self.frequency_weight
        lo, hi = self.bpm_range
        loss = x.new_zeros(())
        for i, head in enumerate(out.heads):
            target = targets[:, min(i, k - 1)]
            if pw > 0:
                loss = loss + pw * neg_pearson_loss(head, target)
            if fw > 0:
                loss = loss + fw * frequency_cross_entropy(
                    head, target, self.fs, bpm_min=lo, bpm_max=hi
                )
        return loss, out.output

    def _output(self, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return module(x).output

    def _standardize_output(self, out: np.ndarray) -> np.ndarray:
        if check_architecture(self.architecture) != "authors":
            return super()._standardize_output(out)
        # the authors' test-time standardisation (LQC2FTrainer.test)
        out = out - out.mean(axis=1, keepdims=True)
        return out / (out.std(axis=1, ddof=1, keepdims=True) + 1e-6)

    # ------------------------------------------------------------------ persistence

    @classmethod
    def pretrained(cls, name: str = "synthetic-32", *, device=None) -> LQRPPGRegressor:
        """The fitted model shipped with the package: no training, no download.

        ``"synthetic-32"`` was trained on synthetic face videos (all skin types, a range of
        heart rates and beat shapes, mild and moderate motion and light changes, every
        label-noise level) at 32 x 32 pixels, on clips of 160 frames at 30 fps:
        :meth:`predict` takes face crops resized to 32 x 32 (e.g. by
        :class:`lqrppg.video.Resizer`) in clips of 160 frames. Its model card
        (``lqrppg/models/weights/MODEL_CARD.md``, also in the documentation) gives the
        training data, the configuration, the measured accuracy and the limits; it has
        not been validated on real videos.

        Parameters
        ----------
        name : str, default="synthetic-32"
            One of :data:`lqrppg.models.PRETRAINED`.
        device : str or torch.device, optional
            Where to put the network (default: the CPU).

        Returns
        -------
        LQRPPGRegressor
            Fitted; ``n_frames_`` and ``frame_shape_`` give the clip length and frame size
            it takes.

        Examples
        --------
        >>> from lqrppg import LQRPPGRegressor
        >>> model = LQRPPGRegressor.pretrained()
        >>> model.n_frames_, model.frame_shape_, model.fs
        (160, (32, 32), 30.0)
        """
        from ._pretrained import pretrained_path

        return cls.load(pretrained_path(name), device="cpu" if device is None else device)

    def _extra_state(self) -> dict[str, Any]:
        if not self._quantized():
            return {"label_quantizer": None}
        return {"label_quantizer": self.label_quantizer_._state()}

    def _restore_extra(self, payload: dict[str, Any], device: torch.device, path) -> None:
        state = payload.get("label_quantizer")
        if state is None:
            self.label_quantizer_ = None
            self.codebooks_ = None
            return
        self.label_quantizer_ = LabelQuantizer._from_state(state, device, path)
        self.codebooks_ = [np.array(c, dtype=np.float64) for c in self.label_quantizer_.codebooks_]
