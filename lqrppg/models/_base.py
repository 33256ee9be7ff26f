"""The estimator the torch rPPG estimators share: clips in, training, prediction.

:class:`BaseVideoRegressor` holds everything :class:`~lqrppg.models.LQRPPGRegressor` and
:class:`~lqrppg.models.PhysNetRegressor` have in common: the validation of video clips
``(n_clips, T, H, W, 3)`` and contact-PPG labels ``(n_clips, T)``, their conversion to float32
channels-first tensors batch by batch (:func:`clips_to_tensor`), the call into the one
training loop of the package (:func:`lqrppg._training.train_module`) with the HR-aware
augmentation of the authors (``_augmentation``) and the validation HR error after every
epoch, batched prediction, heart rates and the HR score, ``save`` / ``load`` (the file
format: ``_persistence``). Device, threads, seeding and pickling are those of every torch
estimator (:class:`lqrppg._torch_base.TorchEstimatorMixin`). A subclass declares its
parameters and supplies the network, its loss and its training targets.
"""

from __future__ import annotations

import json
import math
import warnings
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from lqrppg import __version__
from lqrppg._files import atomic_write
from lqrppg._persistence import (
    _FORMAT,
    _FORMAT_VERSION,
    _available_device,
    _cpu_state_dict,
    _decode,
    _params_json,
    payload_digest,
    read_model_file,
    restore_module,
)
from lqrppg._torch_base import TorchEstimatorMixin
from lqrppg._training import (
    current_shard,
    distributed_world,
    resolve_device,
    torch_generator,
    torch_rng,
    train_module,
    train_validation_split,
)
from lqrppg._validation import Boolean, Integer, Options, check_choice, check_clips, check_params
from lqrppg.exceptions import EstimationWarning, ModelFileError
from lqrppg.metrics import hr_error_from_waveforms
from lqrppg.models._augmentation import (
    _augment,
    _augmentation_draws,
)
from lqrppg.signal import estimate_hr, standardize
from lqrppg.signal._validation import check_band, check_fs, is_flat

__all__ = ["BaseVideoRegressor", "clips_to_tensor"]

_PREPROCESSING = ("standardize", "none")
#: Bounds of one forward pass of ``predict``: frames (the selective scans' states grow with
#: them: about 25 MB per 160-frame clip in C2F) and bytes of float32 input.
_PREDICT_FRAMES = 320
_PREDICT_INPUT_BYTES = 64 * 2**20
#: Torch threads of ``predict`` when ``num_threads`` is None. Measured by
#: benchmarks/bench_complexity.py (one 160-frame clip per pass, interleaved repeats, on a
#: 2-core shared CPU): 2 threads ran the C2F networks 0.06-0.3 times as fast as 1 thread at
#: 32 x 32 and 128 x 128, and PhysNet 0.3 times at 32 x 32 and 0.9 times at 128 x 128
#: (docs/benchmarks/complexity.md): their operations are too small for a thread pool to pay
#: off, and on a busy CPU its workers wait for each other. Set num_threads for more.
_PREDICT_THREADS = 1


# ----------------------------------------------------------------------------- tensors


def clips_to_tensor(clips: torch.Tensor, preprocessing: str = "standardize") -> torch.Tensor:
    """Video clips ``(batch, T, H, W, 3)`` to the float32 network input ``(batch, 3, T, H, W)``.

    uint8 intensities are divided by 255; other dtypes are cast to float32 as they are.
    With ``preprocessing='standardize'`` each clip is then z-scored over all its frames,
    pixels and channels (rPPG-Toolbox's 'Standardized' frames), which makes the result
    independent of the intensity scale; a constant clip becomes all zeros.

    Parameters
    ----------
    clips : torch.Tensor of shape (batch, T, H, W, 3)
    preprocessing : {'standardize', 'none'}, default='standardize'

    Returns
    -------
    torch.Tensor of shape (batch, 3, T, H, W), float32, on the device of ``clips``
        A new tensor (``clips`` is not modified), laid out in memory as ``(batch, T, H, W,
        3)``: a permuted view, not a contiguous channels-first tensor.

    Examples
    --------
    >>> import torch
    >>> clips = torch.full((1, 2, 8, 8, 3), 255, dtype=torch.uint8)
    >>> clips_to_tensor(clips, "none").shape, float(clips_to_tensor(clips, "none").max())
    (torch.Size([1, 3, 2, 8, 8]), 1.0)
    >>> x = clips_to_tensor(torch.rand(2, 4, 8, 8, 3) * 100)
    >>> bool(abs(float(x[0].mean())) < 1e-5 and abs(float(x[0].std(unbiased=False)) - 1) < 1e-4)
    True
    """
    check_choice(preprocessing, "preprocessing", _PREPROCESSING)
    if clips.dtype == torch.uint8:
        x = clips.to(torch.float32).div_(255.0)
    else:
        x = clips.to(torch.float32, copy=True)
    if preprocessing == "standardize":
        std, mean = torch.std_mean(x, dim=(1, 2, 3, 4), keepdim=True, correction=0)
        x = (x - mean).div_(std.clamp_min(1e-6))
    # A view: the memory stays in the clips' (batch, T, H, W, 3) order, which is the
    # channels-last layout the networks' convolutions run fastest on (see C2FNet.embed).
    return x.permute(0, 4, 1, 2, 3)


# ----------------------------------------------------------------------------- estimator


class BaseVideoRegressor(TorchEstimatorMixin, RegressorMixin, BaseEstimator):
    """Base class of the torch estimators that map face clips to rPPG waveforms.

    Subclasses define ``__init__`` (keyword-only, storing the parameters listed below
    plus their own), declare their parameters in ``_parameter_constraints`` (merged with
    this class's: ``{**BaseVideoRegressor._parameter_constraints, ...}``) and their relations
    in ``_check_method_params``, and supply the hooks ``_check_geometry``,
    ``_fit_label_model``, ``_targets``, ``_build_module``, ``_loss`` and ``_output``, which
    read the (checked) parameters from ``self``. This class does the rest: see the module
    docstring; device, threads, seeding and pickling are
    :class:`~lqrppg._torch_base.TorchEstimatorMixin`'s. It is not meant to be used directly.

    Common parameters: ``chunk_length``, ``fs``, ``band``, ``preprocessing``, ``epochs``,
    ``batch_size``, ``lr``, ``weight_decay``, ``augment``, ``validation_fraction``,
    ``early_stopping``, ``patience``, ``device``, ``num_threads``, ``random_state``,
    ``verbose``, ``warm_start`` (documented on the subclasses).

    Examples
    --------
    >>> from lqrppg.models import LQRPPGRegressor, PhysNetRegressor
    >>> issubclass(LQRPPGRegressor, BaseVideoRegressor)
    True
    """

    #: Whether the network needs clips of the fitted length (a positional embedding).
    _fixed_length = True
    _torch_modules = ("module_",)
    #: The parameters each of which is checked alone (see :func:`lqrppg._validation.check_params`);
    #: ``fs`` and ``band`` (which depends on ``fs``) are checked by the signal package's checks.
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "chunk_length": Integer(2, word="int"),
        "preprocessing": Options(_PREPROCESSING),
        "augment": Boolean(),
        "early_stopping": Boolean(),
        "warm_start": Boolean(),
        "patience": Integer(1, word="int"),
        **TorchEstimatorMixin._parameter_constraints,
    }
    #: The declared parameters ``predict`` reads.
    _predict_params = ("preprocessing", "batch_size", "num_threads")

    # ------------------------------------------------------------------ hooks

    def _check_method_params(self, fs: float) -> None:
        """Checks that relate parameters to each other or to ``fs`` (overridden where any)."""

    def _min_frames(self, fs: float) -> tuple[int, str]:
        """Fewest frames the training loss needs at ``fs`` and why."""
        return 2, "a correlation needs T >= 2"

    def _check_geometry(self, T: int, H: int, W: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_label_model(self, y_train: np.ndarray, T: int, seed: int) -> None:
        """Stage 1, on the training labels only (nothing by default)."""

    def _share_label_model(self, device: torch.device) -> None:
        """Give every process of the process group the label model process 0 fitted.

        Called by every process after process 0 ran ``_fit_label_model`` (nothing to share
        by default).
        """

    def _targets(self, labels: np.ndarray) -> np.ndarray:
        """Training targets (n, n_targets, T) float32 of labels (n, T): standardised labels.

        Without a label model every head is trained on the standardised label.
        """
        return standardize(labels)[:, None, :].astype(np.float32)

    def _targets_tensor(self, labels: torch.Tensor) -> torch.Tensor:
        """:meth:`_targets` of a tensor of checked labels (n, T), as float32 on its device.

        The training loop recomputes the targets of the labels that augmentation resampled,
        at every step; this does it on the torch side (the standardisation in float64, as
        :func:`lqrppg.signal.standardize`).
        """
        y = labels.detach().to(torch.float64)
        centred = y - y.mean(dim=1, keepdim=True)
        z = centred / centred.square().mean(dim=1, keepdim=True).sqrt()
        return z.to(torch.float32)[:, None, :]

    def _build_module(self, T: int, H: int, W: int) -> nn.Module:  # pragma: no cover - abstract
        raise NotImplementedError

    def _loss(
        self, module: nn.Module, x: torch.Tensor, targets: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:  # pragma: no cover - abstract
        """(scalar loss, final waveform (batch, T)) of a batch."""
        raise NotImplementedError

    def _output(
        self, module: nn.Module, x: torch.Tensor
    ) -> torch.Tensor:  # pragma: no cover - abstract
        """The waveform (batch, T) before per-clip standardisation."""
        raise NotImplementedError

    # ------------------------------------------------------------------ validation

    def _check_params(self) -> float:
        """Check the parameters (alone, then their relations); return ``fs`` as a float."""
        fs = check_fs(self.fs)
        check_band(self.band, fs)
        check_params(self, self._parameter_constraints)
        self._check_method_params(fs)
        return fs

    def _check_inference_params(self) -> float:
        """Check the parameters ``predict`` reads, and ``fs`` against ``fs_``; return ``fs``."""
        fs = check_fs(self.fs)
        fitted_fs = getattr(self, "fs_", None)
        if fitted_fs is not None and not math.isclose(fs, fitted_fs, rel_tol=1e-9):
            raise ValueError(
                f"fs={self.fs} differs from the frame rate the model was fitted at "
                f"(fs_={fitted_fs:g} Hz): a fitted network knows only that rate, and its heart "
                f"rates would be scaled by {fs / fitted_fs:.3g}. Set fs={fitted_fs:g} back, "
                "resample the video to it, or fit again"
            )
        check_band(self.band, fs)
        check_params(self, self._parameter_constraints, names=self._predict_params)
        return fs

    def _check_clips(self, X: Any, *, fitting: bool) -> np.ndarray:
        """``X`` as an array (n, T, H, W, 3), not copied when it already is one."""
        name = type(self).__name__
        arr = check_clips(X)
        T, H, W = arr.shape[1:4]
        if fitting:
            self._check_geometry(T, H, W)
            return arr
        fitted_T, (fitted_H, fitted_W) = self.n_frames_, self.frame_shape_
        if self._fixed_length and T != fitted_T:
            raise ValueError(
                f"X has clips of T={T} frames (axis 1), but {name} was fitted on clips of "
                f"T={fitted_T} frames: its positional embedding has one learned vector per "
                f"frame. Cut the recording into clips of {fitted_T} frames."
            )
        if (H, W) != (fitted_H, fitted_W):
            raise ValueError(
                f"X has frames of H x W = {H} x {W} (axes 2, 3), but {name} was fitted on "
                f"{fitted_H} x {fitted_W} frames; resize the face crops to that size"
            )
        self._check_geometry(T, H, W)
        return arr

    @staticmethod
    def _check_labels(y: Any, n: int, T: int) -> np.ndarray:
        if y is None:
            raise ValueError(
                "y is required: contact-PPG labels of shape (n_clips, T), one value per frame"
            )
        arr = np.asarray(y)
        if arr.dtype.kind not in "iuf":
            raise ValueError(f"y must hold real numbers; got dtype {arr.dtype}")
        if arr.ndim != 2:
            raise ValueError(
                "y must be contact-PPG labels of shape (n_clips, T), one value per frame of "
                f"each clip of X; got an array of shape {arr.shape}"
            )
        if arr.shape[0] != n:
            raise ValueError(f"X has {n} clips but y has {arr.shape[0]} labels (axis 0)")
        if arr.shape[1] != T:
            raise ValueError(
                f"y has T={arr.shape[1]} time steps (axis 1) but the clips of X have T={T} "
                "frames; the label needs one value per frame"
            )
        arr = arr.astype(np.float64)
        if not np.isfinite(arr).all():
            i, t = np.argwhere(~np.isfinite(arr))[0]
            raise ValueError(
                f"y contains NaN or infinite values (first at clip {i}, time step {t}); "
                "expected a finite label per frame"
            )
        flat = is_flat(arr)
        if flat.any():
            rows = np.flatnonzero(flat)
            raise ValueError(
                f"y holds {rows.size} constant label(s) (clips {rows[:10].tolist()}): each label "
                "is standardised per clip, which needs a label that varies"
            )
        return arr

    # ------------------------------------------------------------------ fit

    def fit(self, X, y, groups=None):
        """Train the network on face clips and their contact-PPG labels.

        Parameters
        ----------
        X : array-like of shape (n_clips, T, H, W, 3)
            Face-cropped RGB clips, uint8 or float (see ``preprocessing``), with
            ``T == chunk_length``. Not copied: it may be a memory-mapped array, which is
            read batch by batch.
        y : array-like of shape (n_clips, T)
            Contact-PPG label of every frame (standardised per clip internally).
        groups : array-like of shape (n_clips,), optional
            Subject (or recording) of each clip: the validation split then holds out whole
            groups, so no subject is on both sides.

        Returns
        -------
        self
        """
        fs = self._check_params()
        rng = self._fit_rng()
        X = self._check_clips(X, fitting=True)
        n, T, H, W = X.shape[:4]
        y = self._check_labels(y, n, T)
        if T != self.chunk_length:
            raise ValueError(
                f"X has clips of T={T} frames (axis 1), but chunk_length={self.chunk_length}: "
                f"cut the recordings into clips of chunk_length frames, or set "
                f"chunk_length={T}"
            )
        min_T, why = self._min_frames(fs)
        if T < min_T:
            raise ValueError(f"X has clips of T={T} frames, too short: {why}")

        train_idx, val_idx = train_validation_split(n, self.validation_fraction, rng, groups)
        label_seed, build_seed, shuffle_seed, augment_seed = (
            int(s) for s in rng.integers(2**31 - 1, size=4)
        )
        warm = (
            self.warm_start
            and hasattr(self, "module_")
            and (self.n_frames_, self.frame_shape_) == (T, (H, W))
        )
        device = self._fit_device()
        rank, world = distributed_world()
        with self._torch_threads():
            if not warm:
                if world > 1:
                    # stage 1 is not data-parallel: process 0 fits it, the others receive it
                    if rank == 0:
                        self._fit_label_model(y[train_idx], T, label_seed)
                    self._share_label_model(device)
                else:
                    self._fit_label_model(y[train_idx], T, label_seed)
            targets = self._targets(y)
            with warnings.catch_warnings():
                # a label without a clear pulse simply gets no resampling and no HR error
                warnings.simplefilter("ignore", EstimationWarning)
                hr = np.asarray(estimate_hr(y, fs, band=self.band), dtype=np.float32)
            labels = standardize(y).astype(np.float32)
            if warm:
                module = self.module_.to(device)
            else:
                with torch_rng(build_seed, device):
                    module = self._build_module(T, H, W).to(device)

            def parts(idx: np.ndarray) -> tuple:
                return _LazyClips(X, idx), labels[idx], targets[idx], hr[idx]

            result = train_module(
                module,
                self._train_loss_fn(augment_seed),
                parts(train_idx),
                parts(val_idx) if val_idx.size else None,
                epochs=self.epochs,
                batch_size=self.batch_size,
                lr=self.lr,
                weight_decay=self.weight_decay,
                generator=torch_generator(shuffle_seed),
                patience=self.patience if self.early_stopping else None,
                device=device,
                verbose=self.verbose if rank == 0 else 0,
                desc=type(self).__name__,
                distributed=world > 1,
                **(self._validation_hooks(hr[val_idx]) if val_idx.size else {}),
            )
        self.module_ = module.eval()
        self.device_ = device
        self.n_frames_ = T
        self.fs_ = fs
        self.frame_shape_ = (H, W)
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.stopped_early_ = result.stopped_early
        self.n_validation_clips_ = int(val_idx.size)
        if not warm:
            self.metadata_ = {}
        return self

    def _train_loss_fn(self, augment_seed: int):
        rng = np.random.default_rng(augment_seed) if self.augment else None
        preprocessing = self.preprocessing

        def loss_fn(module: nn.Module, batch: tuple) -> torch.Tensor:
            clips, label, targets, hr = batch
            x = clips_to_tensor(clips, preprocessing)
            if rng is not None:
                # draws for the whole global batch, so that a data-parallel run (which sees
                # its shard of it) makes the decisions one process would
                shard = current_shard()
                n = len(label) if shard is None else shard.size
                u, offsets = _augmentation_draws(rng, n, label.shape[1])
                if shard is not None:
                    u, offsets = u[shard.start : shard.stop], offsets[shard.start : shard.stop]
                x, label, changed = _augment(x, label, hr.cpu().numpy(), u, offsets)
                if changed.any():
                    # resampling changes the label, so its targets (pseudo labels) too
                    # one clip at a time: the quantizers' arithmetic (hence a pseudo label
                    # on the edge between two codewords) then does not depend on which other
                    # clips of the batch, or of this process's shard, were resampled
                    changed_rows = np.flatnonzero(changed)
                    fresh = torch.cat(
                        [self._targets_tensor(label[i : i + 1]) for i in changed_rows]
                    )
                    rows = torch.from_numpy(changed_rows).to(targets.device)
                    targets = targets.index_copy(0, rows, fresh.to(targets))
            return self._loss(module, x, targets)[0]

        return loss_fn

    def _validation_hooks(self, hr_val: np.ndarray) -> dict[str, Any]:
        """``val_loss_fn`` and ``epoch_callback`` reporting the validation HR error.

        The validation loss pass keeps the predicted waveforms (the loop evaluates the
        validation set in order, once per epoch), so the HR error needs no second pass.
        """
        preprocessing, fs, band = self.preprocessing, self.fs, self.band
        waves: list[torch.Tensor] = []

        def val_loss_fn(module: nn.Module, batch: tuple) -> torch.Tensor:
            clips, _, targets, _ = batch
            loss, wave = self._loss(module, clips_to_tensor(clips, preprocessing), targets)
            waves.append(wave.detach().to("cpu", torch.float64))
            return loss

        def epoch_callback(epoch: int, module: nn.Module) -> dict[str, float]:
            pred = torch.cat(waves).numpy()
            waves.clear()
            return {"val_hr_mae": _hr_mae(pred, hr_val, fs, band)}

        return {"val_loss_fn": val_loss_fn, "epoch_callback": epoch_callback}

    # ------------------------------------------------------------------ inference

    def predict(self, X) -> np.ndarray:
        """rPPG waveform of each clip, standardised per clip.

        Parameters
        ----------
        X : array-like of shape (n_clips, T, H, W, 3)
            Face clips like those of ``fit`` (same H, W and, for networks with a positional
            embedding, the same T).

        Returns
        -------
        ndarray of shape (n_clips, T), float64
            Zero mean and unit standard deviation per clip (all zeros if the network's
            output for a clip is constant).

        Notes
        -----
        Clips go through the network ``batch_size`` at a time, or fewer where they would
        exceed 320 frames or 64 MiB of float32 input (2 clips of 160 x 128 x 128), which
        bounds the working memory (C2F's selective scans hold about 25 MB of states per
        160-frame clip); the batching changes the output only at float32 rounding (1e-6).
        With ``num_threads=None`` prediction runs on one torch thread (measured fastest for
        every network and input size; see the ``num_threads`` parameter).
        """
        check_is_fitted(self)
        self._check_inference_params()
        X = self._check_clips(X, fitting=False)
        n, T, H, W = X.shape[:4]
        out = np.empty((n, T), dtype=np.float64)
        module = self.module_.eval()
        bound = min(_PREDICT_FRAMES // T, _PREDICT_INPUT_BYTES // (T * H * W * 3 * 4))
        bs = max(1, min(int(self.batch_size), bound))
        with self._torch_threads(_PREDICT_THREADS), torch.inference_mode():
            for start in range(0, n, bs):
                clips = torch.from_numpy(_host_batch(X, slice(start, start + bs)))
                x = clips_to_tensor(clips.to(self.device_), self.preprocessing)
                out[start : start + bs] = self._output(module, x).to("cpu", torch.float64)
        return self._standardize_output(out)

    def _standardize_output(self, out: np.ndarray) -> np.ndarray:
        """Waveforms (n, T) to zero mean and unit (population) standard deviation per row."""
        out = out - out.mean(axis=1, keepdims=True)
        std = out.std(axis=1, keepdims=True)
        return np.divide(out, std, out=np.zeros_like(out), where=std > 0)

    def predict_hr(self, X) -> np.ndarray:
        """Heart rate of each clip in bpm, from :meth:`predict` by ``estimate_hr``.

        Parameters
        ----------
        X : array-like of shape (n_clips, T, H, W, 3)

        Returns
        -------
        ndarray of shape (n_clips,), float64
            :func:`lqrppg.signal.estimate_hr` of the waveforms (detrend, band-pass over
            ``band``, spectral peak); NaN with an
            :class:`~lqrppg.exceptions.EstimationWarning` where no estimate can be made.
        """
        wave = self.predict(X)
        fs = self._check_inference_params()
        return np.asarray(estimate_hr(wave, fs, band=self.band), dtype=np.float64)

    def score(self, X, y, sample_weight=None) -> float:
        """Negative mean absolute HR error (bpm) of the predictions; greater is better.

        The heart rate of each predicted waveform and of each label is estimated by
        :func:`lqrppg.signal.estimate_hr`, as :func:`lqrppg.metrics.neg_hr_mae` does. This,
        not the R² of the waveforms, is the score: the phase and amplitude of an rPPG
        waveform carry no HR information and differ from the contact label's for physical
        reasons (pulse transit delay, other beat shape), and the labels themselves are noisy,
        so a waveform R² would punish correct heart rates.

        Parameters
        ----------
        X : array-like of shape (n_clips, T, H, W, 3)
        y : array-like of shape (n_clips, T) or (n_clips,)
            Reference waveforms, or heart rates in bpm.
        sample_weight : None
            Not supported (must be None).

        Returns
        -------
        float
            ``-MAE`` in bpm; NaN, with a warning, when a prediction gives no heart rate.
        """
        if sample_weight is not None:
            raise ValueError(f"{type(self).__name__}.score does not support sample_weight")
        pred = self.predict(X)
        fs = self._check_inference_params()
        return -hr_error_from_waveforms(y, pred, fs=fs, band=self.band)

    # ------------------------------------------------------------------ persistence

    def _fitted_json(self) -> dict[str, Any]:
        return {
            "n_frames_": self.n_frames_,
            "frame_shape_": list(self.frame_shape_),
            "history_": self.history_,
            "best_epoch_": self.best_epoch_,
            "stopped_early_": self.stopped_early_,
            "n_validation_clips_": self.n_validation_clips_,
            "device_": str(self.device_),
            "fs_": getattr(self, "fs_", None),
            "metadata_": getattr(self, "metadata_", {}),
        }

    def _extra_state(self) -> dict[str, Any]:
        """More fitted state for :meth:`save` (tensors, lists, dicts, JSON strings)."""
        return {}

    def _restore_extra(self, payload: dict[str, Any], device: torch.device, path) -> None:
        """Set the fitted attributes saved by ``_extra_state``."""

    def save(self, path) -> None:
        """Write the fitted estimator to ``path`` (a file readable by :meth:`load`).

        The file is a :func:`torch.save` archive holding only tensors, numbers and strings
        (so :meth:`load` reads it with ``torch.load(weights_only=True)``, which runs no
        code): the parameters as JSON, the fitted attributes, the network's ``state_dict``
        (on the CPU), the state of any label model, and the SHA-256 of all of it, which
        :meth:`load` checks. The file is written to a temporary file beside ``path`` and
        renamed into place when complete, so an interrupted save leaves the old file (or
        none), never half a file. A ``random_state`` given as a RandomState or Generator is
        saved as None (with a warning).

        Parameters
        ----------
        path : str or path-like
            Its folder must exist.

        Raises
        ------
        FileNotFoundError, IsADirectoryError, PermissionError
            When ``path`` cannot be written (checked before anything is written).
        """
        check_is_fitted(self)
        payload = {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "lqrppg_version": __version__,
            "class": type(self).__name__,
            "params": _params_json(self),
            "fitted": json.dumps(self._fitted_json()),
            "state_dict": _cpu_state_dict(self.module_),
            **self._extra_state(),
        }
        payload["sha256"] = payload_digest(payload)
        with atomic_write(path) as tmp:
            torch.save(payload, tmp)

    @classmethod
    def load(cls, path, *, device=None):
        """Read an estimator written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
        device : str or torch.device, optional
            Where to put the networks. By default the device the estimator was fitted on
            when this machine has it, else the CPU (with a warning): a model trained on a
            GPU loads and predicts on a CPU-only machine.

        Returns
        -------
        estimator
            Fitted, of the class that was saved (``cls`` or a subclass of it); it predicts
            exactly as the saved one.
        """
        payload = read_model_file(path, f"a {cls.__name__}")
        klass = next((k for k in _subclasses(cls) if k.__name__ == payload.get("class")), None)
        if klass is None:
            raise ModelFileError(f"{path} holds a {payload.get('class')}, not a {cls.__name__}")
        try:
            return klass._from_payload(payload, path, device)
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ModelFileError(
                f"{path} is damaged or incomplete: {type(exc).__name__}: {exc}"
            ) from None

    @classmethod
    def _from_payload(cls, payload: dict[str, Any], path, device):
        klass = cls
        est = klass(**_decode(json.loads(payload["params"])))
        fitted = json.loads(payload["fitted"])
        if device is None:
            dev = _available_device(fitted["device_"], klass.__name__)
        else:
            dev = resolve_device(device)
        est.n_frames_ = int(fitted["n_frames_"])
        est.frame_shape_ = tuple(int(v) for v in fitted["frame_shape_"])
        est.history_ = fitted["history_"]
        est.best_epoch_ = _int_or_none(fitted["best_epoch_"])
        est.stopped_early_ = (
            None if fitted["stopped_early_"] is None else bool(fitted["stopped_early_"])
        )
        est.n_validation_clips_ = _int_or_none(fitted["n_validation_clips_"])
        est.metadata_ = dict(fitted.get("metadata_", {}))
        # files of format 1 have no fs_: the saved parameter is the rate it was fitted at
        est.fs_ = float(fitted.get("fs_") or est.fs)
        est.device_ = dev
        try:
            est._check_params()
        except ValueError as exc:
            raise ModelFileError(f"{path} holds invalid hyper-parameters: {exc}") from None
        est._restore_extra(payload, dev, path)
        H, W = est.frame_shape_
        module = restore_module(
            lambda: est._build_module(est.n_frames_, H, W),
            payload["state_dict"],
            path,
            "network",
        )
        est.module_ = module.to(dev).eval()
        return est

    # ------------------------------------------------------------------ sklearn plumbing

    def __sklearn_is_fitted__(self) -> bool:
        # stage 1 sets attributes before the network is trained
        return hasattr(self, "module_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.input_tags.two_d_array = False
        tags.target_tags.required = True
        tags.target_tags.single_output = False
        tags.target_tags.multi_output = True
        return tags


def _host_batch(X: np.ndarray, rows: Any) -> np.ndarray:
    """Clips ``X[rows]`` as a new writable array; float64 becomes float32.

    A copy, because ``X`` may be read-only (memory-mapped), which torch does not support;
    float32 because the networks are float32 (and some devices have no float64).
    """
    batch = X[rows]
    if batch.dtype == np.float64:
        return batch.astype(np.float32)
    if isinstance(rows, slice) or not batch.flags.writeable:  # a view of X
        return np.array(batch)
    return np.ascontiguousarray(batch)  # integer-array indexing made a copy already


class _LazyClips:
    """A row subset of a clip array, read batch by batch by the training loop.

    ``X[train_idx]`` would copy all training clips at once; this view copies one batch at
    a time (through :func:`_host_batch`), so a memory-mapped ``X`` stays on disk.
    """

    def __init__(self, X: np.ndarray, idx: np.ndarray) -> None:
        self._X, self._idx = X, np.asarray(idx)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self._idx), *self._X.shape[1:])

    def __len__(self) -> int:
        return len(self._idx)

    def __getitem__(self, rows):
        return _host_batch(self._X, self._idx[rows])


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _subclasses(cls: type) -> list[type]:
    out, todo = [cls], [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            out.append(sub)
            todo.append(sub)
    return out


def _hr_mae(pred: np.ndarray, hr_true: np.ndarray, fs: float, band) -> float:
    """Mean absolute HR error (bpm) over the clips where both heart rates exist."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        hr_pred = np.asarray(estimate_hr(pred, fs, band=band), dtype=np.float64)
    err = np.abs(hr_pred - hr_true)
    err = err[np.isfinite(err)]
    return float(err.mean()) if err.size else math.nan
