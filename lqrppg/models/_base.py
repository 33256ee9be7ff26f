"""Shared machinery of the torch rPPG estimators: clips, augmentation, training, persistence.

:class:`BaseVideoRegressor` holds everything :class:`~lqrppg.models.LQRPPGRegressor` and
:class:`~lqrppg.models.PhysNetRegressor` have in common: the validation of video clips
``(n_clips, T, H, W, 3)`` and contact-PPG labels ``(n_clips, T)``, their conversion to float32
channels-first tensors batch by batch (:func:`clips_to_tensor`), the HR-aware temporal
resampling and flip augmentation of the authors (:func:`augment_batch`), the call into the one
training loop of the package (:func:`lqrppg._training.train_module`) with the validation HR
error after every epoch, batched prediction, heart rates and the HR score, pickling and
``save`` / ``load``. A subclass supplies the network, its loss and its training targets.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from lqrppg import __version__
from lqrppg._files import atomic_write
from lqrppg._params import param_bool, param_int, param_real
from lqrppg._training import (
    current_shard,
    distributed_world,
    random_seed,
    resolve_device,
    torch_generator,
    torch_num_threads,
    torch_rng,
    train_module,
    train_validation_split,
)
from lqrppg._validation import check_choice, check_clips, check_int, is_int, is_real
from lqrppg.exceptions import EstimationWarning, ModelFileError
from lqrppg.metrics import hr_error_from_waveforms
from lqrppg.signal import estimate_hr, standardize
from lqrppg.signal._validation import check_band, check_fs, is_flat

__all__ = [
    "BaseVideoRegressor",
    "augment_batch",
    "clips_to_tensor",
    "compress_time",
    "stretch_time",
]

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
_FORMAT = "lqrppg.models"
# 2: the file carries the SHA-256 of its content ("sha256"), checked on load.
_FORMAT_VERSION = 2


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


# ----------------------------------------------------------------------------- augmentation


def stretch_time(x: torch.Tensor, offset: int = 0, dim: int = -1) -> torch.Tensor:
    """Play a sequence twice slower: linear interpolation at positions ``(offset + t) / 2``.

    Output sample ``t`` (``t = 0 .. T-1``) is the input linearly interpolated at the
    fractional index ``(offset + t) / 2``: the first ``T`` samples of the sequence stretched
    by 2 after dropping ``offset`` of them. A pulse at 100 bpm becomes one at 50 bpm.

    Parameters
    ----------
    x : torch.Tensor
        Sequences along ``dim`` (float).
    offset : int, default=0
        Samples of the stretched sequence skipped at its start, in ``[0, T - 1]``.
    dim : int, default=-1
        The time axis.

    Returns
    -------
    torch.Tensor, same shape as ``x``

    Examples
    --------
    >>> import torch
    >>> stretch_time(torch.tensor([0.0, 2.0, 4.0, 6.0]))
    tensor([0., 1., 2., 3.])
    >>> stretch_time(torch.tensor([0.0, 2.0, 4.0, 6.0]), offset=1)
    tensor([1., 2., 3., 4.])
    """
    T = x.shape[dim]
    if not is_int(offset) or not 0 <= offset <= T - 1:
        raise ValueError(f"offset must be an int in [0, T - 1 = {T - 1}]; got {offset!r}")
    pos = (int(offset) + torch.arange(T, device=x.device)) / 2.0
    lo = pos.floor().long()
    hi = (lo + 1).clamp_max(T - 1)
    shape = [1] * x.ndim
    shape[dim] = T
    frac = (pos - lo).to(x.dtype).reshape(shape)
    return x.index_select(dim, lo) * (1 - frac) + x.index_select(dim, hi) * frac


def compress_time(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Play a sequence twice faster: every second sample, repeated to fill ``T``.

    The samples ``0, 2, 4, ...`` (``ceil(T / 2)`` of them) followed by as many of the same
    again as fit: a pulse at 60 bpm becomes one at 120 bpm (with a jump where the copy
    starts, as in the authors' augmentation).

    Parameters
    ----------
    x : torch.Tensor
        Sequences along ``dim``.
    dim : int, default=-1
        The time axis.

    Returns
    -------
    torch.Tensor, same shape as ``x``

    Examples
    --------
    >>> import torch
    >>> compress_time(torch.arange(6.0))
    tensor([0., 2., 4., 0., 2., 4.])
    """
    T = x.shape[dim]
    half = torch.arange(0, T, 2, device=x.device)
    return x.index_select(dim, half[torch.arange(T, device=x.device) % half.numel()])


def augment_batch(
    x: torch.Tensor,
    label: torch.Tensor,
    hr: np.ndarray,
    rng: np.random.Generator,
    *,
    resample_probability: float = 0.5,
    flip_probability: float = 0.5,
    fast_bpm: float = 90.0,
    slow_bpm: float = 75.0,
) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """The augmentation of the LQ-rPPG authors, drawn clip by clip from ``rng``.

    For every clip, with probability ``resample_probability``, its video and label are
    resampled in time according to the heart rate of its label: above ``fast_bpm`` they
    are stretched twice slower (:func:`stretch_time`, starting at a random offset in
    ``[0, T/2 - 1]``, as the authors do), below ``slow_bpm`` they are compressed twice faster
    (:func:`compress_time`); in between (or when the HR is NaN) they stay as they are. A
    resampled label that would be constant (a stretch that lands inside a flat span of the
    label, such as the saturated stretch of a contact-sensor dropout) carries no pulse and
    cannot be standardised: that clip is not resampled. Independently, with probability
    ``flip_probability``, the video is mirrored left-right.
    Every clip consumes the same three draws from ``rng`` (two uniforms and an offset)
    whatever happens to it, so the stream of decisions depends only on the number of clips.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, 3, T, H, W)
        Network input (see :func:`clips_to_tensor`).
    label : torch.Tensor of shape (batch, T)
    hr : ndarray of shape (batch,)
        Heart rate of each label in bpm (NaN: no resampling).
    rng : numpy.random.Generator
    resample_probability, flip_probability : float, default=0.5
    fast_bpm, slow_bpm : float, default=90, 75

    Returns
    -------
    x, label : torch.Tensor
        New tensors, same shapes; the inputs are not modified.
    resampled : ndarray of bool, shape (batch,)
        Clips whose label changed (their training targets must be recomputed).

    Examples
    --------
    >>> import numpy as np, torch
    >>> x, label = torch.zeros(3, 3, 8, 8, 8), torch.randn(3, 8)
    >>> hr = np.array([120.0, 60.0, 80.0])
    >>> _, _, changed = augment_batch(x, label, hr, np.random.default_rng(0),
    ...                               resample_probability=1.0)
    >>> changed.tolist()
    [True, True, False]
    """
    B, T = label.shape
    u, offsets = _augmentation_draws(rng, B, T)
    return _augment(
        x, label, hr, u, offsets, resample_probability, flip_probability, fast_bpm, slow_bpm
    )


def _augmentation_draws(rng: np.random.Generator, n: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """The random numbers :func:`augment_batch` draws for ``n`` clips of ``T`` frames."""
    u = rng.random((n, 2))
    offsets = rng.integers(0, max(T // 2, 1), size=n)
    return u, offsets


def _augment(
    x: torch.Tensor,
    label: torch.Tensor,
    hr: np.ndarray,
    u: np.ndarray,
    offsets: np.ndarray,
    resample_probability: float = 0.5,
    flip_probability: float = 0.5,
    fast_bpm: float = 90.0,
    slow_bpm: float = 75.0,
) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """:func:`augment_batch` with its draws given (one row of ``u`` and ``offsets`` per clip)."""
    B = label.shape[0]
    hr = np.asarray(hr, dtype=np.float64)
    resample = u[:, 0] < resample_probability
    with np.errstate(invalid="ignore"):
        stretch = resample & (hr > fast_bpm)
        compress = resample & (hr < slow_bpm)
    flip = u[:, 1] < flip_probability
    # written clip by clip into tensors of the inputs' memory layout (torch.stack would make
    # the video channels-first contiguous, which the networks would then have to undo)
    x_out, y_out = torch.empty_like(x), torch.empty_like(label)
    for i in range(B):
        xi, yi = x[i], label[i]
        if stretch[i] or compress[i]:
            if stretch[i]:
                new_y = stretch_time(yi, int(offsets[i]))
            else:
                new_y = compress_time(yi)
            if is_flat(new_y.detach().cpu().double().numpy()):
                stretch[i] = compress[i] = False
            else:
                yi = new_y
                xi = (
                    stretch_time(xi, int(offsets[i]), dim=1)
                    if stretch[i]
                    else compress_time(xi, dim=1)
                )
        x_out[i] = xi.flip(-1) if flip[i] else xi
        y_out[i] = yi
    return x_out, y_out, stretch | compress


# ----------------------------------------------------------------------------- persistence


def _estimator_registry() -> dict[str, type]:
    from lqrppg.quantization import LabelQuantizer

    return {"LabelQuantizer": LabelQuantizer}


def _encode(value: Any, name: str) -> Any:
    """A parameter value as JSON-able data (tuples and estimators tagged to come back)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if is_int(value):
        return int(value)
    if is_real(value):
        return float(value)
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, (tuple, list)):
        items = [_encode(v, f"{name}[{i}]") for i, v in enumerate(value)]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    if isinstance(value, (np.random.RandomState, np.random.Generator)):
        warnings.warn(
            f"{name} is a {type(value).__name__}, which cannot be saved; it is saved as None",
            UserWarning,
            stacklevel=4,
        )
        return None
    inner = getattr(value, "estimator", None)  # sklearn.frozen.FrozenEstimator
    est = inner if inner is not None and type(value).__name__ == "FrozenEstimator" else value
    if type(est).__name__ in _estimator_registry() and isinstance(est, BaseEstimator):
        params = est.get_params(deep=False)
        return {
            "__estimator__": type(est).__name__,
            "params": {k: _encode(v, f"{name}.{k}") for k, v in params.items()},
        }
    raise ValueError(
        f"parameter {name}={value!r} cannot be saved: only None, numbers, strings, tuples, "
        "lists, torch devices and LabelQuantizer parameters can"
    )


def _decode(data: Any) -> Any:
    if isinstance(data, list):
        return [_decode(v) for v in data]
    if isinstance(data, dict):
        if "__tuple__" in data:
            return tuple(_decode(v) for v in data["__tuple__"])
        if "__estimator__" in data:
            cls = _estimator_registry().get(data["__estimator__"])
            if cls is None:
                raise ValueError(f"unknown estimator {data['__estimator__']!r} in saved file")
            return cls(**{k: _decode(v) for k, v in data["params"].items()})
        return {k: _decode(v) for k, v in data.items()}
    return data


def _params_json(est: BaseEstimator) -> str:
    params = est.get_params(deep=False)
    return json.dumps({k: _encode(v, k) for k, v in params.items()})


def _available_device(device: Any, owner: str, stacklevel: int = 3) -> torch.device:
    """``device`` if this machine has it, else the CPU with a warning."""
    try:
        return resolve_device(torch.device(device))
    except ValueError:
        warnings.warn(
            f"{owner} was fitted on {device}, which is not available here; its networks are "
            "moved to the CPU",
            UserWarning,
            stacklevel=stacklevel,
        )
        return torch.device("cpu")


def _cpu_state_dict(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu").clone() for k, v in module.state_dict().items()}


def _digest_into(h: Any, obj: Any) -> None:
    """Feed ``obj`` (nested dicts, lists, tensors, strings, numbers) to a hash, canonically."""
    if isinstance(obj, dict):
        h.update(b"{")
        for key in sorted(obj, key=repr):
            h.update(repr(key).encode())
            _digest_into(h, obj[key])
        h.update(b"}")
    elif isinstance(obj, (list, tuple)):
        h.update(b"[")
        for value in obj:
            _digest_into(h, value)
        h.update(b"]")
    elif isinstance(obj, torch.Tensor):
        t = obj.detach().to("cpu").contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    else:
        h.update(f"{type(obj).__name__}:{obj!r}".encode())


def payload_digest(payload: dict[str, Any]) -> str:
    """SHA-256 of a model file's content, every entry but the digest itself."""
    import hashlib

    h = hashlib.sha256()
    _digest_into(h, {k: v for k, v in payload.items() if k != "sha256"})
    return h.hexdigest()


def read_model_file(path, what: str = "an lqrppg model") -> dict[str, Any]:
    """The payload of a file written by ``save``, checked; a ``ModelFileError`` otherwise.

    Every way a file can fail to be an lqrppg model (not a file torch can read with
    ``weights_only=True``, not our format, damaged) is one :class:`ModelFileError` naming the
    file and the problem. Nothing in the file is executed: objects other than tensors and
    plain data are refused by ``weights_only=True``, and no message suggests turning that off.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"model file not found: {str(p)!r}")
    if p.is_dir():
        raise ModelFileError(f"{str(p)!r} is a folder, not a model file")
    try:
        with warnings.catch_warnings():
            # torch's remark on the pickle protocol of a file it is about to refuse
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            payload = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ModelFileError(
            f"{str(p)!r} is not {what} file: it holds Python objects other than tensors and "
            "plain data (for example a whole pickled model from another library); such a "
            "file could run code when loaded, so it is not loaded"
        ) from None
    except Exception as exc:  # torch raises many types for files that are not archives
        raise ModelFileError(f"{str(p)!r} is not {what} file: {_short_reason(exc)}") from None
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ModelFileError(f"{str(p)!r} is not a file written by lqrppg's save (not {what})")
    version = payload.get("format_version", 0)
    if not isinstance(version, int) or version > _FORMAT_VERSION:
        raise ModelFileError(
            f"{str(p)!r} was written in format version {version} by lqrppg "
            f"{payload.get('lqrppg_version')}; this version reads up to {_FORMAT_VERSION}: "
            "upgrade lqrppg"
        )
    if version >= 2:
        stored = payload.get("sha256")
        if not isinstance(stored, str) or stored != payload_digest(payload):
            raise ModelFileError(
                f"{str(p)!r} is damaged: its content does not match the SHA-256 stored in it "
                "(the file was changed or corrupted after it was written); save the model "
                "again or use another copy"
            )
    else:
        warnings.warn(
            f"{str(p)!r} was written by an older lqrppg (format {version}) without an "
            "integrity check; it cannot be verified. Load it and save it again to add one.",
            UserWarning,
            stacklevel=3,
        )
    return payload


def _short_reason(exc: BaseException) -> str:
    """A one-line reason from a torch.load error, without torch's advice to disable safety."""
    if isinstance(exc, EOFError):
        return "the file is empty or cut short"
    text = str(exc).splitlines()[0] if str(exc) else ""
    if "weights_only" in str(exc) or not text:
        return f"torch cannot read it as a weights-only archive ({type(exc).__name__})"
    if "zip archive" in text or "central directory" in text:
        return "it is not a PyTorch archive, or it is cut short (the zip directory is missing)"
    return f"{type(exc).__name__}: {text}"


class _NoInitOnMeta(torch.overrides.TorchFunctionMode):
    """The arithmetic of weight initialisation skipped on ``meta`` tensors.

    A skeleton on the meta device holds no values, so computing its initial weights does
    nothing but cost: torch's meta kernels of several operations (``normal_``,
    ``rand_like``, ``mul`` by a Python number, ...) are written in Python and the first of
    them imports ``torch._dynamo`` (2-3 s and about 70 MB, once per process) just to load a
    model. Here, on meta tensors, in-place operations (``copy_``, ``uniform_``,
    ``torch.nn.init.*``) return their target and element-wise ones an empty meta tensor of
    the broadcast shape; everything else, and everything off the meta device, runs as usual.
    Shapes stay exact, so the comparison with the stored tensors is unchanged.
    """

    _ELEMENTWISE = frozenset(
        {"add", "sub", "mul", "div", "neg", "exp", "log", "expm1", "log1p", "sqrt", "pow"}
        | {"clamp", "clamp_min", "clamp_max", "rsub", "sigmoid", "rand_like", "randn_like"}
    )

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if func is torch.arange and not kwargs.get("out"):
            dtype, device = kwargs.get("dtype"), kwargs.get("device")
            if torch.empty(0, device=device).is_meta:
                bounds = (0, *args) if len(args) == 1 else args
                start, end, step = (*bounds, 1)[:3]
                if dtype is None:
                    exact = all(isinstance(v, int) for v in (start, end, step))
                    dtype = torch.int64 if exact else torch.get_default_dtype()
                n = max(0, math.ceil((end - start) / step))
                return torch.empty(n, dtype=dtype, device="meta")
        tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
        if tensors and all(t.is_meta for t in tensors):
            in_place = name.endswith("_") and not name.startswith("__")
            if in_place or getattr(func, "__module__", "") == "torch.nn.init":
                return tensors[0]  # in place: the target, unchanged
            # (torch.empty, not empty_like or broadcast_shapes: their meta paths are Python
            # too, and import torch.fx's symbolic shapes and sympy, another second)
            if name == "expand_as":
                return torch.empty(tuple(tensors[1].shape), dtype=tensors[0].dtype, device="meta")
            if name in self._ELEMENTWISE:
                shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
                return torch.empty(shape, dtype=tensors[0].dtype, device="meta")
        return func(*args, **kwargs)


def restore_module(build: Any, state: Any, path, what: str) -> nn.Module:
    """A module from ``build()`` with the stored ``state``; stored sizes checked first.

    ``build`` runs on the ``meta`` device first, which allocates nothing, so the stored
    hyper-parameters can be compared with the stored tensors (names, shapes, dtypes) before
    any memory is taken: a file whose hyper-parameters were altered to, say, a width of 32768
    is refused instead of allocating tens of GB.
    """
    # the weights are overwritten: keep the RNG, skip the initialisation
    with torch_rng(0), torch.device("meta"), _NoInitOnMeta():
        skeleton = build()
    expected = skeleton.state_dict()
    if not isinstance(state, dict):
        raise ModelFileError(f"{str(path)!r} is damaged: the {what} weights are missing")
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    bad = [
        k
        for k in set(expected) & set(state)
        if not isinstance(state[k], torch.Tensor)
        or tuple(state[k].shape) != tuple(expected[k].shape)
        or state[k].dtype != expected[k].dtype
    ]
    if missing or unexpected or bad:
        parts = []
        if missing:
            parts.append(f"missing {missing[:3]}")
        if unexpected:
            parts.append(f"unexpected {unexpected[:3]}")
        if bad:
            k = sorted(bad)[0]
            got = tuple(state[k].shape) if isinstance(state[k], torch.Tensor) else type(state[k])
            parts.append(
                f"{len(bad)} of another size, e.g. {k!r}: {got} for {tuple(expected[k].shape)}"
            )
        raise ModelFileError(
            f"{str(path)!r} is damaged or inconsistent: its stored hyper-parameters do not "
            f"match its {what} weights ({'; '.join(parts)})"
        )
    # The stored tensors become the module's (assign=True): every parameter and buffer is in
    # the state (checked above), so nothing is left on the meta device, and nothing is
    # allocated twice (to_empty's meta path would also import torch.fx and sympy).
    skeleton.load_state_dict(state, assign=True)
    left = [k for k, t in (*skeleton.named_parameters(), *skeleton.named_buffers()) if t.is_meta]
    if left:  # pragma: no cover - a module with non-persistent buffers
        raise RuntimeError(f"restoring {what} left tensors without values: {left[:3]}")
    return skeleton


# ----------------------------------------------------------------------------- estimator


class BaseVideoRegressor(RegressorMixin, BaseEstimator):
    """Base class of the torch estimators that map face clips to rPPG waveforms.

    Subclasses define ``__init__`` (keyword-only, storing the parameters listed below
    plus their own) and the hooks ``_check_model_params``, ``_check_geometry``,
    ``_fit_label_model``, ``_targets``, ``_build_module``, ``_loss`` and ``_output``.
    This class does the rest: see the module docstring. It is not meant to be used directly.

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

    # ------------------------------------------------------------------ hooks

    def _check_model_params(self, p: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _min_frames(self, p: dict[str, Any]) -> tuple[int, str]:
        """Fewest frames the training loss needs and why."""
        return 2, "a correlation needs T >= 2"

    def _check_geometry(self, T: int, H: int, W: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_label_model(self, p: dict[str, Any], y_train: np.ndarray, T: int, seed: int) -> None:
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

    def _build_module(
        self, p: dict[str, Any], T: int, H: int, W: int
    ) -> nn.Module:  # pragma: no cover - abstract
        raise NotImplementedError

    def _loss(
        self, p: dict[str, Any], module: nn.Module, x: torch.Tensor, targets: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:  # pragma: no cover - abstract
        """(scalar loss, final waveform (batch, T)) of a batch."""
        raise NotImplementedError

    def _output(
        self, module: nn.Module, x: torch.Tensor
    ) -> torch.Tensor:  # pragma: no cover - abstract
        """The waveform (batch, T) before per-clip standardisation."""
        raise NotImplementedError

    # ------------------------------------------------------------------ validation

    def _check_params(self) -> dict[str, Any]:
        integer = functools.partial(param_int, self)
        real = functools.partial(param_real, self)
        boolean = functools.partial(param_bool, self)

        p: dict[str, Any] = {}
        p["chunk_length"] = integer("chunk_length", 2)
        p["fs"] = check_fs(self.fs)
        p["band"] = check_band(self.band, p["fs"])
        p["preprocessing"] = check_choice(self.preprocessing, "preprocessing", _PREPROCESSING)
        p["epochs"] = integer("epochs", 1)
        p["batch_size"] = integer("batch_size", 1)
        p["lr"] = real("lr", 0.0, open_low=True)
        p["weight_decay"] = real("weight_decay", 0.0)
        for name in ("augment", "early_stopping", "warm_start"):
            p[name] = boolean(name)
        p["validation_fraction"] = real("validation_fraction", 0.0, 1.0)
        p["patience"] = integer("patience", 1)
        p["num_threads"] = None if self.num_threads is None else integer("num_threads", 1)
        p["verbose"] = (
            int(self.verbose) if isinstance(self.verbose, bool) else integer("verbose", 0)
        )
        p["device"] = resolve_device(self.device)
        self._check_model_params(p)
        return p

    def _check_inference_params(self) -> dict[str, Any]:
        """The parameters ``predict`` reads, validated."""
        p: dict[str, Any] = {"fs": check_fs(self.fs)}
        fitted_fs = getattr(self, "fs_", None)
        if fitted_fs is not None and not math.isclose(p["fs"], fitted_fs, rel_tol=1e-9):
            raise ValueError(
                f"fs={self.fs} differs from the frame rate the model was fitted at "
                f"(fs_={fitted_fs:g} Hz): a fitted network knows only that rate, and its heart "
                f"rates would be scaled by {p['fs'] / fitted_fs:.3g}. Set fs={fitted_fs:g} back, "
                "resample the video to it, or fit again"
            )
        p["band"] = check_band(self.band, p["fs"])
        p["preprocessing"] = check_choice(self.preprocessing, "preprocessing", _PREPROCESSING)
        param_int(self, "batch_size", 1)
        if self.num_threads is not None:
            check_int(self.num_threads, "num_threads", 1, expected="None or an int >= 1")
        return p

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
        p = self._check_params()
        seed = random_seed(self.random_state)
        X = self._check_clips(X, fitting=True)
        n, T, H, W = X.shape[:4]
        y = self._check_labels(y, n, T)
        if T != p["chunk_length"]:
            raise ValueError(
                f"X has clips of T={T} frames (axis 1), but chunk_length={p['chunk_length']}: "
                f"cut the recordings into clips of chunk_length frames, or set "
                f"chunk_length={T}"
            )
        min_T, why = self._min_frames(p)
        if T < min_T:
            raise ValueError(f"X has clips of T={T} frames, too short: {why}")

        rng = np.random.default_rng(seed)
        train_idx, val_idx = train_validation_split(n, p["validation_fraction"], rng, groups)
        label_seed, build_seed, shuffle_seed, augment_seed = (
            int(s) for s in rng.integers(2**31 - 1, size=4)
        )
        warm = (
            p["warm_start"]
            and hasattr(self, "module_")
            and (self.n_frames_, self.frame_shape_) == (T, (H, W))
        )
        device = p["device"]
        rank, world = distributed_world()
        with torch_num_threads(p["num_threads"]):
            if not warm:
                if world > 1:
                    # stage 1 is not data-parallel: process 0 fits it, the others receive it
                    if rank == 0:
                        self._fit_label_model(p, y[train_idx], T, label_seed)
                    self._share_label_model(device)
                else:
                    self._fit_label_model(p, y[train_idx], T, label_seed)
            targets = self._targets(y)
            with warnings.catch_warnings():
                # a label without a clear pulse simply gets no resampling and no HR error
                warnings.simplefilter("ignore", EstimationWarning)
                hr = np.asarray(estimate_hr(y, p["fs"], band=p["band"]), dtype=np.float32)
            labels = standardize(y).astype(np.float32)
            if warm:
                module = self.module_.to(device)
            else:
                with torch_rng(build_seed, device):
                    module = self._build_module(p, T, H, W).to(device)

            def parts(idx: np.ndarray) -> tuple:
                return _LazyClips(X, idx), labels[idx], targets[idx], hr[idx]

            result = train_module(
                module,
                self._train_loss_fn(p, augment_seed),
                parts(train_idx),
                parts(val_idx) if val_idx.size else None,
                epochs=p["epochs"],
                batch_size=p["batch_size"],
                lr=p["lr"],
                weight_decay=p["weight_decay"],
                generator=torch_generator(shuffle_seed),
                patience=p["patience"] if p["early_stopping"] else None,
                device=device,
                verbose=p["verbose"] if rank == 0 else 0,
                desc=type(self).__name__,
                distributed=world > 1,
                **(self._validation_hooks(p, hr[val_idx]) if val_idx.size else {}),
            )
        self.module_ = module.eval()
        self.device_ = device
        self.n_frames_ = T
        self.fs_ = p["fs"]
        self.frame_shape_ = (H, W)
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.stopped_early_ = result.stopped_early
        self.n_validation_clips_ = int(val_idx.size)
        if not warm:
            self.metadata_ = {}
        return self

    def _train_loss_fn(self, p: dict[str, Any], augment_seed: int):
        rng = np.random.default_rng(augment_seed) if p["augment"] else None
        preprocessing = p["preprocessing"]

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
            return self._loss(p, module, x, targets)[0]

        return loss_fn

    def _validation_hooks(self, p: dict[str, Any], hr_val: np.ndarray) -> dict[str, Any]:
        """``val_loss_fn`` and ``epoch_callback`` reporting the validation HR error.

        The validation loss pass keeps the predicted waveforms (the loop evaluates the
        validation set in order, once per epoch), so the HR error needs no second pass.
        """
        preprocessing, fs, band = p["preprocessing"], p["fs"], p["band"]
        waves: list[torch.Tensor] = []

        def val_loss_fn(module: nn.Module, batch: tuple) -> torch.Tensor:
            clips, _, targets, _ = batch
            loss, wave = self._loss(p, module, clips_to_tensor(clips, preprocessing), targets)
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
        p = self._check_inference_params()
        X = self._check_clips(X, fitting=False)
        n, T, H, W = X.shape[:4]
        out = np.empty((n, T), dtype=np.float64)
        module = self.module_.eval()
        bound = min(_PREDICT_FRAMES // T, _PREDICT_INPUT_BYTES // (T * H * W * 3 * 4))
        bs = max(1, min(int(self.batch_size), bound))
        threads = _PREDICT_THREADS if self.num_threads is None else self.num_threads
        with torch_num_threads(threads), torch.inference_mode():
            for start in range(0, n, bs):
                clips = torch.from_numpy(_host_batch(X, slice(start, start + bs)))
                x = clips_to_tensor(clips.to(self.device_), p["preprocessing"])
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
        p = self._check_inference_params()
        return np.asarray(estimate_hr(wave, p["fs"], band=p["band"]), dtype=np.float64)

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
        p = self._check_inference_params()
        return -hr_error_from_waveforms(y, pred, fs=p["fs"], band=p["band"])

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
            p = est._check_params()
        except ValueError as exc:
            raise ModelFileError(f"{path} holds invalid hyper-parameters: {exc}") from None
        est._restore_extra(payload, dev, path)
        H, W = est.frame_shape_
        module = restore_module(
            lambda: est._build_module(p, est.n_frames_, H, W),
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

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        module = state.get("module_")
        if module is not None and any(t.device.type != "cpu" for t in module.state_dict().values()):
            # pickles load on machines without the fitting device
            state["module_"] = copy.deepcopy(module).cpu()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "module_" in state:
            self.device_ = _available_device(self.device_, type(self).__name__)
            self.module_ = self.module_.to(self.device_).eval()


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
