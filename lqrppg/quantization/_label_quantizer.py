"""``LabelQuantizer``: the label quantization module of LQ-rPPG as a scikit-learn transformer."""

from __future__ import annotations

import functools
import json
from typing import Any, ClassVar

import numpy as np
import torch
from scipy import sparse
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from lqrppg._params import check_lq_params, lq_min_length
from lqrppg._persistence import _cpu_state_dict, _decode, _params_json, restore_module
from lqrppg._torch_base import TorchEstimatorMixin
from lqrppg._training import torch_generator, torch_rng, train_module, train_validation_split
from lqrppg._validation import Integer, Options, Real, check_params, is_int
from lqrppg.nn import LabelQuantizerNet, frequency_cross_entropy, neg_pearson_loss
from lqrppg.nn._checks import ARCHITECTURES, check_architecture
from lqrppg.signal._validation import is_flat

__all__ = ["LabelQuantizer"]

_INFERENCE_BATCH = 256


class LabelQuantizer(TorchEstimatorMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Label quantization module of LQ-rPPG: contact-PPG labels to multi-level pseudo labels.

    A stack of independent quantizers of growing resolution (by default 2, 4, 8, 16 and 32
    codewords: 1- to 5-bit pseudo labels) is trained on the labels alone. Each level is a
    :class:`~lqrppg.nn.LabelQuantizerNet`: an encoder (five dilated 1-D convolutions with a
    residual connection, a learned positional embedding over time, one bidirectional Mamba
    block) and a scalar quantizer with K codewords (nearest codeword, straight-through
    gradient, commitment loss, codewords updated by exponential moving averages). Coarse
    levels keep the timing and rhythm of the pulse and drop amplitude noise and beat-shape
    variation; fine levels follow the label closely.

    Each clip (row of ``X``) is standardised to zero mean and unit standard deviation before
    it is encoded, in ``fit`` and in ``transform`` (see ``architecture``); a constant clip is
    refused. Each level is
    trained to minimise ``pearson_weight * (1 - r) + frequency_weight * frequency CE`` between
    its quantized sequence and the standardised label (see :func:`lqrppg.nn.hybrid_loss`)
    plus the commitment loss, with AdamW and a one-cycle learning-rate schedule
    (:func:`lqrppg._training.train_module`); the epoch with the lowest validation loss is kept
    (its weights and its codebook).

    Parameters
    ----------
    levels : sequence of int, default=(2, 4, 8, 16, 32)
        Codewords per level (each >= 2), coarse to fine.
    width : int, default=1
        Channels of each encoder (``d_model`` of its Mamba block); the authors use 1.
    d_state : int, default=16
        State size of the encoders' Mamba blocks.
    d_conv : int, default=4
        Kernel of the Mamba blocks' depthwise convolutions.
    expand : float, default=2
        Inner width factor of the Mamba blocks.
    epochs : int, default=30
        Training epochs per level.
    batch_size : int, default=16
        Clips per training step.
    lr : float, default=1e-3
        Peak learning rate of AdamW under the one-cycle schedule.
    weight_decay : float, default=0.0
        AdamW weight decay.
    commitment : float, default=0.5
        Weight of the commitment loss ``MSE(stopgrad(codeword), encoder output)``.
    ema_decay : float, default=0.99
        Decay of the moving averages that update the codewords, in [0, 1).
    ema_eps : float, default=1e-5
        Laplace smoothing of the cluster sizes.
    dead_code_threshold : float, default=1.0
        A codeword whose moving-average share falls below this many time steps per training
        step is moved onto an encoder output drawn at random from the batch (0 disables).
        Codewords start at the quantiles ``(k + 1/2) / K`` of the encoder outputs of the
        training clips, so each starts with an equal share. See
        :class:`~lqrppg.nn.ScalarEMAQuantizer`.
    pearson_weight : float, default=0.2
        Weight of the negative-Pearson term of the objective.
    frequency_weight : float, default=1.0
        Weight of the frequency cross-entropy term. It needs clips covering one period of
        ``bpm_range[0]``: ``T >= ceil(60 * fs / bpm_range[0])`` (40 samples at 30 Hz and 45
        bpm); shorter clips are refused unless ``frequency_weight=0`` (Pearson and commitment
        only, any ``T >= 2``).
    bpm_range : (int, int), default=(45, 149)
        Heart-rate band of the frequency cross-entropy in beats per minute (both included).
    fs : float, default=30.0
        Sampling rate of the labels in Hz.
    validation_fraction : float, default=0.2
        Fraction of the clips (drawn at random with ``random_state``) held out to choose the
        best epoch, in [0, 1). When it amounts to less than one clip (or to all of them), no
        clip is held out and the best epoch is the one with the lowest training loss.
        Clips of one subject should not straddle the split: pass clips of held-out subjects
        through ``transform`` rather than relying on this split for evaluation.
    patience : int, optional
        Stop a level's training after this many epochs without improvement. Off by default.
    output_level : int, default=-1
        Level returned by :meth:`transform` (an index into ``levels``; -1 is the finest).
    architecture : {'lqrppg', 'authors'}, default='lqrppg'
        ``'authors'``: the form of the LQ-rPPG authors' released quantizers (see
        :class:`~lqrppg.nn.PulseLabelEncoder`: the encoder keeps its one-channel LayerNorm),
        and their standardisation of each clip, ``(x - mean) / (std + 1e-6)`` with the
        unbiased (``n - 1``) standard deviation. ``'lqrppg'``: no LayerNorm at one channel and
        ``(x - mean) / std`` with the population standard deviation. The released quantizers
        load into the ``'authors'`` form (:func:`lqrppg.models.load_authors_checkpoint`).
    device : 'auto', str or torch.device, default='auto'
        Where to train and encode; 'auto' is CUDA when available, else the CPU.
    num_threads : int or None, default=1
        Torch CPU threads while fitting and encoding (``torch.set_num_threads``, restored
        afterwards). The one-channel networks are too small to gain from more threads, and
        on a busy CPU a thread pool can make each step many times slower. None leaves
        torch's setting alone.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the validation split, the initial weights, the shuffling and the dead-code
        re-seeding; the global numpy and torch random states are not touched. The same int
        gives identical codebooks and outputs on the same machine.
    verbose : int, default=0
        > 0 shows a progress bar per level with the training and validation losses.

    Attributes
    ----------
    n_features_in_ : int
        T, time steps per clip; ``transform`` accepts only clips of this length, because
        each level's positional embedding has one learned entry per time step.
    levels_ : tuple of int
        Codewords per level.
    codebooks_ : list of ndarray
        One sorted float64 array of K codewords per level (``codebooks_[l][k]`` is the value
        of code ``k`` of level ``l``).
    codebook_usage_ : list of ndarray
        Per level, the fraction of the time steps of the clips passed to ``fit`` assigned to
        each codeword; a 0 is a dead codeword.
    history_ : list of list of dict
        Per level, one dict per epoch: ``epoch`` (1-based), ``train_loss``, ``val_loss`` (NaN
        without a validation split), ``lr``, ``time_s``.
    best_epoch_ : list of int
        Per level, the 1-based epoch whose weights and codebook were kept.
    modules_ : list of LabelQuantizerNet
        The trained networks (eval mode, on ``device_``), codebooks sorted.
    device_ : torch.device
        Where the networks live.
    n_validation_clips_ : int
        Clips held out for the choice of the best epoch.
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it has string column names.

    See Also
    --------
    lqrppg.nn.LabelQuantizerNet : the network of one level.
    lqrppg.nn.hybrid_loss : the objective without the commitment term.

    Notes
    -----
    Output layouts: :meth:`transform` returns ``(n_clips, T)``, the pseudo label of level
    ``output_level``; :meth:`pseudo_labels` returns all levels, ``(n_clips, n_levels, T)``;
    :meth:`encode` the codeword indices ``(n_clips, n_levels, T)`` (int64, into the sorted
    ``codebooks_``); :meth:`decode` turns such indices back into values. Every returned value
    is exactly one of the codewords of its level.

    A fitted estimator pickles with its networks on the CPU; unpickled, it moves them back to
    the CUDA device it was fitted on when that device exists, and stays on the CPU (with
    ``device_`` set to CPU) otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.quantization import LabelQuantizer
    >>> t = np.arange(64) / 30.0
    >>> X = np.array([np.sin(2 * np.pi * f * t) for f in (1.0, 1.2, 1.4, 1.6)])
    >>> lq = LabelQuantizer(levels=(2, 4), epochs=1, d_state=4, random_state=0).fit(X)
    >>> lq.transform(X).shape, lq.pseudo_labels(X).shape, lq.encode(X).dtype
    ((4, 64), (4, 2, 64), dtype('int64'))
    >>> [len(c) for c in lq.codebooks_]
    [2, 4]
    >>> bool(np.isin(lq.transform(X), lq.codebooks_[-1]).all())
    True
    """

    _torch_modules = ("modules_",)
    #: ``levels``, the loss weights and ``bpm_range`` are checked with their relations by
    #: :func:`lqrppg._params.check_lq_params` (shared with LQRPPGRegressor).
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **TorchEstimatorMixin._parameter_constraints,
        "fs": Real(0.0, open_low=True),
        "width": Integer(1, word="int"),
        "d_state": Integer(1, word="int"),
        "d_conv": Integer(1, word="int"),
        "expand": Real(0.0, open_low=True),
        "commitment": Real(0.0),
        "ema_decay": Real(0.0, 1.0),
        "ema_eps": Real(0.0, open_low=True),
        "dead_code_threshold": Real(0.0),
        "patience": Integer(1, word="int", allow_none=True),
        "architecture": Options(ARCHITECTURES),
    }

    def __init__(
        self,
        *,
        levels=(2, 4, 8, 16, 32),
        width: int = 1,
        d_state: int = 16,
        d_conv: int = 4,
        expand: float = 2,
        epochs: int = 30,
        batch_size: int = 16,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        commitment: float = 0.5,
        ema_decay: float = 0.99,
        ema_eps: float = 1e-5,
        dead_code_threshold: float = 1.0,
        pearson_weight: float = 0.2,
        frequency_weight: float = 1.0,
        bpm_range=(45, 149),
        fs: float = 30.0,
        validation_fraction: float = 0.2,
        patience: int | None = None,
        output_level: int = -1,
        architecture: str = "lqrppg",
        device="auto",
        num_threads: int | None = 1,
        random_state=None,
        verbose: int = 0,
    ):
        self.levels = levels
        self.width = width
        self.d_state = d_state
        self.d_conv = d_conv
        self.expand = expand
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.commitment = commitment
        self.ema_decay = ema_decay
        self.ema_eps = ema_eps
        self.dead_code_threshold = dead_code_threshold
        self.pearson_weight = pearson_weight
        self.frequency_weight = frequency_weight
        self.bpm_range = bpm_range
        self.fs = fs
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.output_level = output_level
        self.architecture = architecture
        self.device = device
        self.num_threads = num_threads
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ validation

    def _check_params(self) -> float:
        """Check the parameters (alone, then their relations); return ``fs`` as a float."""
        fs = check_params(self, self._parameter_constraints)["fs"]
        check_lq_params(self, fs)
        if int(self.expand * self.width) < 1:
            raise ValueError(
                f"expand * width must be at least 1; got expand={self.expand}, width={self.width}"
            )
        self._level_index(len(self.levels))
        return fs

    def _level_index(self, n_levels: int) -> int:
        lvl = self.output_level
        if not is_int(lvl) or not -n_levels <= lvl < n_levels:
            raise ValueError(
                f"output_level must be an int in [-{n_levels}, {n_levels - 1}] (an index into "
                f"levels, which has {n_levels} entries); got {lvl!r}"
            )
        return int(lvl) % n_levels

    def _validate_X(self, X, *, reset: bool) -> np.ndarray:
        if not sparse.issparse(X):
            shape = getattr(X, "shape", None)
            if shape is None and isinstance(X, (list, tuple)):
                try:
                    shape = np.shape(X)
                except ValueError:  # ragged nested sequences: validate_data words it
                    shape = None
            if shape is not None and len(shape) != 2:
                raise ValueError(
                    "X must be a 2-D array of shape (n_clips, T): one contact-PPG clip per "
                    f"row, one time step per column; got an array of shape {shape}. Reshape "
                    "your data, e.g. X.reshape(1, -1) for a single clip."
                )
            if not reset and shape is not None and shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {shape[1]} features, but {type(self).__name__} is expecting "
                    f"{self.n_features_in_} features as input: it was fitted on clips of "
                    f"T={self.n_features_in_} time steps and each level's positional embedding "
                    f"has one learned entry per time step. Cut the clips to "
                    f"{self.n_features_in_} samples."
                )
        return validate_data(self, X, dtype=np.float64, reset=reset)

    def _standardize(self, X: np.ndarray) -> np.ndarray:
        flat = is_flat(X)
        if np.any(flat):
            rows = np.flatnonzero(flat)
            raise ValueError(
                f"X holds {rows.size} constant clip(s) (rows {rows[:10].tolist()}"
                f"{', ...' if rows.size > 10 else ''}): every clip is standardised to zero "
                "mean and unit standard deviation, which needs a label that varies"
            )
        centred = X - X.mean(axis=1, keepdims=True)
        if check_architecture(self.architecture) == "authors":
            return centred / (np.std(centred, axis=1, ddof=1, keepdims=True) + 1e-6)
        return centred / np.sqrt(np.mean(centred * centred, axis=1, keepdims=True))

    # ------------------------------------------------------------------ fit

    def fit(self, X, y=None):
        """Train one quantizer per level on contact-PPG labels.

        Parameters
        ----------
        X : array-like of shape (n_clips, T)
            Contact-PPG labels, one clip per row (standardised per clip internally). T must
            be at least ``ceil(60 * fs / bpm_range[0])`` when ``frequency_weight > 0``
            (40 at the defaults), else at least 2.
        y : None
            Ignored.

        Returns
        -------
        self : LabelQuantizer
        """
        fs = self._check_params()
        rng = self._fit_rng()
        X = self._validate_X(X, reset=True)
        n, T = X.shape
        min_T, why = lq_min_length(self, fs)
        if T < min_T:
            raise ValueError(
                f"X has clips of T={T} time steps (n_features = {T}), too short: {why}"
            )
        Z = self._standardize(X)

        train_idx, val_idx = train_validation_split(n, self.validation_fraction, rng)
        level_seeds = rng.integers(2**31 - 1, size=(len(self.levels), 2))
        device = self._fit_device()
        data = torch.from_numpy(Z.astype(np.float32))
        train, val = data[train_idx], data[val_idx]

        self.levels_ = tuple(int(k) for k in self.levels)
        self.device_ = device
        self.n_validation_clips_ = int(val_idx.size)
        self.modules_, self.history_, self.best_epoch_ = [], [], []
        with self._torch_threads():
            for level, n_codes in enumerate(self.levels_):
                build_seed, train_seed = (int(s) for s in level_seeds[level])
                with torch_rng(build_seed, device):
                    net, result = self._fit_level(
                        T, n_codes, train, val, torch_generator(train_seed), level
                    )
                self.modules_.append(net)
                self.history_.append(result.history)
                self.best_epoch_.append(result.best_epoch)
        self.codebooks_ = [
            m.quantizer.codebook.detach().to("cpu", torch.float64).numpy().copy()
            for m in self.modules_
        ]
        codes = self._encode_standardized(Z)
        self.codebook_usage_ = [
            np.bincount(codes[:, i].ravel(), minlength=k) / codes[:, i].size
            for i, k in enumerate(self.levels_)
        ]
        return self

    def _build_net(self, T: int, n_codes: int) -> LabelQuantizerNet:
        """The network of one level: ``n_codes`` codewords for labels of ``T`` samples, with
        this quantizer's (checked) hyper-parameters."""
        return LabelQuantizerNet(
            T,
            n_codes,
            width=self.width,
            d_state=self.d_state,
            d_conv=self.d_conv,
            expand=self.expand,
            commitment=self.commitment,
            decay=self.ema_decay,
            eps=self.ema_eps,
            dead_code_threshold=self.dead_code_threshold,
            architecture=self.architecture,
        )

    def _fit_level(self, T, n_codes, train, val, generator, level):
        device = self.device_
        net = self._build_net(T, n_codes).to(device)
        # Codewords start at quantiles of the untrained encoder's outputs on all training
        # clips, with cluster sizes on the scale of one training step.
        net.init_codebook_(train.to(device), tokens_per_step=min(self.batch_size, len(train)) * T)
        pw, fw = self.pearson_weight, self.frequency_weight
        fs, (bpm_lo, bpm_hi) = self.fs, self.bpm_range

        def loss_fn(module, batch):
            (target,) = batch
            out = module(target, generator=generator)
            loss = out.commitment_loss
            if pw > 0:
                loss = loss + pw * neg_pearson_loss(out.quantized, target)
            if fw > 0:
                loss = loss + fw * frequency_cross_entropy(
                    out.quantized, target, fs, bpm_min=bpm_lo, bpm_max=bpm_hi
                )
            return loss

        result = train_module(
            net,
            loss_fn,
            train,
            val,
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            weight_decay=self.weight_decay,
            generator=generator,
            patience=self.patience,
            device=device,
            verbose=self.verbose,
            desc=f"level {level + 1}/{len(self.levels_)} (K={n_codes})",
        )
        net.quantizer.sort_codebook_()
        net.eval()
        return net, result

    # ------------------------------------------------------------------ inference

    def _encode_standardized(self, Z: np.ndarray) -> np.ndarray:
        n, T = Z.shape
        out = np.empty((n, len(self.modules_), T), dtype=np.int64)
        data = torch.from_numpy(Z.astype(np.float32))
        check_params(self, self._parameter_constraints, names=("num_threads",))
        with self._torch_threads(), torch.no_grad():
            for start in range(0, n, _INFERENCE_BATCH):
                chunk = data[start : start + _INFERENCE_BATCH].to(self.device_)
                for i, net in enumerate(self.modules_):
                    idx = net.quantizer.nearest(net.encoder(chunk))
                    out[start : start + len(chunk), i] = idx.cpu().numpy()
        return out

    def _pseudo_labels_tensor(self, X: torch.Tensor) -> torch.Tensor:
        """:meth:`pseudo_labels` of a tensor, on the quantizers' device, as float32.

        For the training loop of :class:`~lqrppg.models.LQRPPGRegressor`, which recomputes
        the pseudo labels of resampled labels at every step: the same standardisation (in
        float64), encoders and codebooks as :meth:`pseudo_labels`, without its validation
        and without a round trip through NumPy. ``X`` of shape (n_clips, T) must hold
        finite labels of the fitted T that are not constant (not checked here).
        """
        Z = X.detach().to(self.device_, torch.float64)
        centred = Z - Z.mean(dim=1, keepdim=True)
        if check_architecture(self.architecture) == "authors":
            Z = centred / (centred.std(dim=1, correction=1, keepdim=True) + 1e-6)
        else:
            Z = centred / centred.square().mean(dim=1, keepdim=True).sqrt()
        z = Z.to(torch.float32)
        with torch.no_grad():
            levels = [
                net.quantizer.codebook[net.quantizer.nearest(net.encoder(z))]
                for net in self.modules_
            ]
        return torch.stack(levels, dim=1)

    def encode(self, X) -> np.ndarray:
        """Codeword indices of every level.

        Parameters
        ----------
        X : array-like of shape (n_clips, T)
            Contact-PPG labels, T as in ``fit``.

        Returns
        -------
        codes : ndarray of shape (n_clips, n_levels, T), int64
            ``codes[i, l, t]`` indexes ``codebooks_[l]`` (sorted, so a larger index is a
            larger value).
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._encode_standardized(self._standardize(X))

    def decode(self, codes) -> np.ndarray:
        """Values of codeword indices as returned by :meth:`encode`.

        Parameters
        ----------
        codes : array-like of int, shape (n_clips, n_levels, T)

        Returns
        -------
        ndarray of shape (n_clips, n_levels, T), float64
        """
        check_is_fitted(self)
        codes = np.asarray(codes)
        L = len(self.levels_)
        if codes.ndim != 3 or codes.shape[1] != L or codes.dtype.kind not in "iu":
            raise ValueError(
                f"codes must be an int array of shape (n_clips, n_levels={L}, T); got "
                f"{codes.dtype} array of shape {codes.shape}"
            )
        out = np.empty(codes.shape, dtype=np.float64)
        for i, book in enumerate(self.codebooks_):
            c = codes[:, i]
            if c.size and (c.min() < 0 or c.max() >= len(book)):
                raise ValueError(
                    f"codes of level {i} must lie in [0, {len(book) - 1}]; got values from "
                    f"{c.min()} to {c.max()}"
                )
            out[:, i] = book[c]
        return out

    def pseudo_labels(self, X) -> np.ndarray:
        """Quantized pseudo labels of every level.

        Parameters
        ----------
        X : array-like of shape (n_clips, T)
            Contact-PPG labels, T as in ``fit``.

        Returns
        -------
        ndarray of shape (n_clips, n_levels, T), float64
            Level ``l`` holds only values of ``codebooks_[l]``.
        """
        return self.decode(self.encode(X))

    def transform(self, X) -> np.ndarray:
        """Quantized pseudo label of level ``output_level``.

        Parameters
        ----------
        X : array-like of shape (n_clips, T)
            Contact-PPG labels, T as in ``fit``.

        Returns
        -------
        ndarray of shape (n_clips, T), float64
            Values of ``codebooks_[output_level]``.
        """
        check_is_fitted(self)
        level = self._level_index(len(self.levels_))
        X = self._validate_X(X, reset=False)
        codes = self._encode_standardized(self._standardize(X))
        return self.codebooks_[level][codes[:, level]]

    # ------------------------------------------------------------------ sklearn plumbing

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # ------------------------------------------------------------------ stored state
    def _state(self) -> dict[str, Any]:
        """The fitted quantizer as tensors and JSON strings (for a weights-only model file)."""
        check_is_fitted(self, "modules_")
        fitted = {
            "n_features_in_": int(self.n_features_in_),
            "levels_": list(self.levels_),
            "history_": self.history_,
            "best_epoch_": [int(e) for e in self.best_epoch_],
            "n_validation_clips_": (
                None if self.n_validation_clips_ is None else int(self.n_validation_clips_)
            ),
            "device_": str(self.device_),
        }
        if hasattr(self, "feature_names_in_"):
            fitted["feature_names_in_"] = [str(f) for f in self.feature_names_in_]
        return {
            "params": _params_json(self),
            "fitted": json.dumps(fitted),
            "codebooks": [torch.from_numpy(np.array(c, dtype=np.float64)) for c in self.codebooks_],
            "codebook_usage": [torch.from_numpy(np.array(u)) for u in self.codebook_usage_],
            "modules": [_cpu_state_dict(m) for m in self.modules_],
        }

    @classmethod
    def _from_state(cls, state: dict[str, Any], device: torch.device, path) -> LabelQuantizer:
        """The quantizer :meth:`_state` stored, its networks on ``device``.

        The stored hyper-parameters are checked before any tensor is allocated, and every
        network is rebuilt on the meta device and filled from ``state`` (``path`` names the
        file in the errors).
        """
        lq = cls(**_decode(json.loads(state["params"])))
        fitted = json.loads(state["fitted"])
        lq.n_features_in_ = fitted["n_features_in_"]
        lq.levels_ = tuple(fitted["levels_"])
        lq.history_ = fitted["history_"]
        lq.best_epoch_ = fitted["best_epoch_"]
        lq.n_validation_clips_ = fitted["n_validation_clips_"]
        if "feature_names_in_" in fitted:
            lq.feature_names_in_ = np.array(fitted["feature_names_in_"], dtype=object)
        lq.device_ = device
        lq.codebooks_ = [c.numpy().copy() for c in state["codebooks"]]
        lq.codebook_usage_ = [u.numpy().copy() for u in state["codebook_usage"]]
        lq._check_params()  # stored hyper-parameters within their limits before any tensor
        lq.modules_ = [
            restore_module(
                functools.partial(lq._build_net, lq.n_features_in_, n_codes),
                weights,
                path,
                f"label quantizer {level}",
            )
            .to(device)
            .eval()
            for level, (n_codes, weights) in enumerate(
                zip(lq.levels_, state["modules"], strict=True), start=1
            )
        ]
        return lq
