"""What the torch estimators (the video regressors and LabelQuantizer) share to be stored:
their model files (the payload's JSON-able parameters, its SHA-256 digest, reading a file
without running any pickle, rebuilding a module on the meta device before its weights are
loaded) and the device fallback on loading. Their pickling is
:class:`lqrppg._torch_base.TorchEstimatorMixin`'s."""

from __future__ import annotations

import json
import math
import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from torch import nn

from lqrppg._training import (
    resolve_device,
    torch_rng,
)
from lqrppg._validation import is_int, is_real
from lqrppg.exceptions import ModelFileError

__all__ = ["payload_digest", "read_model_file", "restore_module"]

_FORMAT = "lqrppg.models"
# 2: the file carries the SHA-256 of its content ("sha256"), checked on load.
_FORMAT_VERSION = 2


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
