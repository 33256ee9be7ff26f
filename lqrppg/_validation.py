"""The package's checks of scalar arguments, choices and video clips (numpy only).

Every function takes ``(value, name, ...)`` in that order, returns the value converted
(``int``, ``float``, the array) and otherwise raises one ``ValueError`` that names the
argument and the allowed values. Functions, estimators and the torch modules of
:mod:`lqrppg.nn` all use them, so one rule is written once. :class:`Integer`, :class:`Real`,
:class:`Positive`, :class:`Boolean` and :class:`Options` wrap them as the parameter
constraints an estimator class declares once (``_parameter_constraints``, checked by
:func:`check_params` at the top of ``fit``). The signal-specific checks (``check_signal``,
``check_fs``, ``check_band``) are in :mod:`lqrppg.signal._validation`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Boolean",
    "Integer",
    "Options",
    "Positive",
    "Real",
    "check_bool",
    "check_choice",
    "check_clips",
    "check_int",
    "check_params",
    "check_positive",
    "check_real",
    "check_size",
    "is_int",
    "is_real",
]

# Clips checked for NaN this many at a time: no full-size boolean copy of a large float array.
_FINITE_CHUNK = 64


def is_int(value: Any) -> bool:
    """True for integers (numpy included), False for bools."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for real numbers (numpy included), False for bools."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_int(
    value: Any, name: str, low: int, high: int | None = None, *, expected: str | None = None
) -> int:
    """``value`` as an int if it is an integer (not a bool) in ``[low, high]``.

    ``expected`` replaces the default wording of the allowed values in the message
    (``"an integer >= low"`` or ``"an integer in [low, high]"``) where a caller words them its
    own way (the estimators say ``"an int >= 1"``).
    """
    if not is_int(value) or value < low or (high is not None and value > high):
        if expected is None:
            expected = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
        raise ValueError(f"{name} must be {expected}; got {value!r}")
    return int(value)


def check_real(
    value: Any,
    name: str,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    open_low: bool = False,
    open_high: bool = True,
) -> float:
    """``value`` as a float if it is a finite real number (not a bool) between the bounds.

    ``low`` is included unless ``open_low``; ``high`` is excluded unless ``open_high=False``.
    """
    ok = is_real(value) and math.isfinite(value)
    ok = ok and (value > low if open_low else value >= low)
    ok = ok and (value < high if open_high else value <= high)
    if not ok:
        lo = "" if low == -math.inf else (f" > {low}" if open_low else f" >= {low}")
        hi = "" if high == math.inf else (f" and < {high}" if open_high else f" and <= {high}")
        raise ValueError(f"{name} must be a finite number{lo}{hi}; got {value!r}")
    return float(value)


def check_positive(value: Any, name: str) -> float:
    """``value`` as a float if it is a finite real number > 0."""
    if not is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return float(value)


def check_bool(value: Any, name: str) -> bool:
    """``value`` as a bool if it is a Python or numpy bool (not 0 or 1)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_choice(value: Any, name: str, allowed: Sequence[str]) -> str:
    """``value`` if it is one of the strings ``allowed`` (shown in the message as given)."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def check_size(value: Any, name: str, *, allow_none: bool = False) -> tuple[int, int] | None:
    """A pair of positive integers ``(height, width)`` (or None where ``allow_none``)."""
    if value is None and allow_none:
        return None
    msg = (
        f"{name} must be {'None or ' if allow_none else ''}a pair of positive integers "
        f"(height, width); got {value!r}"
    )
    if isinstance(value, str | bytes) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(msg)
    if not all(is_int(v) and v >= 1 for v in value):
        raise ValueError(msg)
    return int(value[0]), int(value[1])


def check_clips(
    X: Any,
    *,
    name: str = "X",
    uint8: bool = False,
    finite: bool = True,
    traces: bool = False,
) -> np.ndarray:
    """``X`` as an array of video clips (n_clips, T, H, W, 3), never copied.

    The clips must be non-empty, with 3 colour channels (RGB) last, real-valued (integer or
    float dtype; 8-bit with ``uint8=True``, as face detection needs) and, for float clips when
    ``finite`` is set, free of NaN and infinity. ``traces=True`` also accepts mean-RGB traces
    of shape (n_series, T, 3) (the unsupervised baselines take both).
    """
    arr = np.asarray(X)
    ndims = (3, 5) if traces else (5,)
    if arr.ndim not in ndims or arr.shape[-1] != 3:
        form = "video clips of shape (n_clips, T, H, W, 3): 5 axes, frames in RGB"
        if traces:
            form = "RGB traces of shape (n_series, T, 3) or " + form
        hint = " (a single clip of shape (T, H, W, 3) is X[None])" if arr.ndim == 4 else ""
        raise ValueError(
            f"{name} must be {form} with the 3 colour channels last; got shape {arr.shape}{hint}"
        )
    if 0 in arr.shape:
        raise ValueError(
            f"{name} is empty: shape {arr.shape}; every axis needs at least one element"
        )
    if uint8:
        if arr.dtype != np.uint8:
            raise ValueError(f"{name} must hold 8-bit frames (dtype uint8); got dtype {arr.dtype}")
        return arr
    if arr.dtype.kind not in "iuf":
        raise ValueError(
            f"{name} must hold real intensities (integer or float dtype); got dtype {arr.dtype}"
        )
    if finite and arr.dtype.kind == "f":
        for start in range(0, arr.shape[0], _FINITE_CHUNK):
            part = arr[start : start + _FINITE_CHUNK]
            if not np.isfinite(part).all():
                bad = np.argwhere(~np.isfinite(part))[0]
                raise ValueError(
                    f"{name} contains NaN or infinite values (first at clip {start + bad[0]}, "
                    f"frame {bad[1]}); expected finite intensities"
                )
    return arr


# -- parameter constraints: each estimator class declares its parameters once --------------
@dataclass(frozen=True)
class Integer:
    """An integer parameter in ``[low, high]`` (:func:`check_int`).

    ``word`` names the kind in the message (the torch estimators say ``"an int >= 1"``);
    ``allow_none`` also accepts None (``"None or an int >= 1"``), ``allow_bool`` True and False
    (as 1 and 0: a ``verbose`` level).
    """

    low: int
    high: int | None = None
    word: str = "integer"
    allow_none: bool = False
    allow_bool: bool = False

    def __call__(self, value: Any, name: str) -> int | None:
        if value is None and self.allow_none:
            return None
        if self.allow_bool and isinstance(value, (bool, np.bool_)):
            return int(value)
        bounds = f">= {self.low}" if self.high is None else f"in [{self.low}, {self.high}]"
        expected = f"{'None or ' if self.allow_none else ''}an {self.word} {bounds}"
        return check_int(value, name, self.low, self.high, expected=expected)


@dataclass(frozen=True)
class Real:
    """A finite real parameter between ``low`` and ``high`` (:func:`check_real`)."""

    low: float = -math.inf
    high: float = math.inf
    open_low: bool = False
    open_high: bool = True

    def __call__(self, value: Any, name: str) -> float:
        return check_real(
            value, name, self.low, self.high, open_low=self.open_low, open_high=self.open_high
        )


@dataclass(frozen=True)
class Positive:
    """A finite real parameter > 0 (:func:`check_positive`)."""

    def __call__(self, value: Any, name: str) -> float:
        return check_positive(value, name)


@dataclass(frozen=True)
class Boolean:
    """A boolean parameter, True or False (:func:`check_bool`)."""

    def __call__(self, value: Any, name: str) -> bool:
        return check_bool(value, name)


@dataclass(frozen=True)
class Options:
    """A string parameter, one of ``allowed`` (:func:`check_choice`)."""

    allowed: Sequence[str]

    def __call__(self, value: Any, name: str) -> str:
        return check_choice(value, name, self.allowed)


def check_params(
    estimator: Any,
    constraints: Mapping[str, Callable[[Any, str], Any]],
    names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Check each parameter that ``constraints`` names; return them converted, by name.

    ``constraints`` maps a parameter name to a constraint (:class:`Integer`, :class:`Real`,
    :class:`Positive`, :class:`Boolean`, :class:`Options`, or any callable
    ``(value, name) -> value`` that raises ``ValueError``); an estimator class declares its
    own in ``_parameter_constraints``, merged with its base class's, and calls this at the
    top of ``fit`` (with ``names``, the subset that ``predict`` reads, at the top of
    ``predict``). Checks that relate several parameters (a window against the frame rate)
    stay with the estimator.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from lqrppg._validation import Integer, Options, Real, check_params
    >>> est = SimpleNamespace(order=3, mode="fast", rate=0.5)
    >>> check_params(est, {"order": Integer(1), "mode": Options(("fast", "exact"))})
    {'order': 3, 'mode': 'fast'}
    >>> check_params(SimpleNamespace(order=0), {"order": Integer(1)})
    Traceback (most recent call last):
    ...
    ValueError: order must be an integer >= 1; got 0
    >>> check_params(est, {"order": Integer(1), "rate": Real(0.0, 1.0)}, names=("rate",))
    {'rate': 0.5}
    """
    if names is not None:
        constraints = {name: constraints[name] for name in names}
    return {name: check(getattr(estimator, name), name) for name, check in constraints.items()}
