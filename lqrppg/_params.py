"""Validation of estimator parameters, shared by the torch estimators.

Each function reads ``getattr(estimator, name)`` and returns it converted, or raises one
``ValueError`` naming the parameter and the allowed values.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = ["is_int", "is_real", "param_bool", "param_int", "param_real"]


def is_int(value: Any) -> bool:
    """True for integers (numpy included), False for bools."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for real numbers (numpy included), False for bools."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def param_int(estimator: Any, name: str, low: int) -> int:
    """The integer parameter ``name`` of ``estimator``, at least ``low``."""
    value = getattr(estimator, name)
    if not is_int(value) or value < low:
        raise ValueError(f"{name} must be an int >= {low}; got {value!r}")
    return int(value)


def param_real(
    estimator: Any, name: str, low: float, high: float = math.inf, *, open_low: bool = False
) -> float:
    """The real parameter ``name``: finite, ``>= low`` (``> low`` if open_low), ``< high``."""
    value = getattr(estimator, name)
    ok = is_real(value) and math.isfinite(value)
    ok = ok and (value > low if open_low else value >= low) and value < high
    if not ok:
        lo = f"> {low}" if open_low else f">= {low}"
        hi = "" if high == math.inf else f" and < {high}"
        raise ValueError(f"{name} must be a finite number {lo}{hi}; got {value!r}")
    return float(value)


def param_bool(estimator: Any, name: str) -> bool:
    """The boolean parameter ``name`` (Python or numpy bool)."""
    value = getattr(estimator, name)
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)
