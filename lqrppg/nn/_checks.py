"""Argument helpers of the torch modules: the ``architecture`` values and shapes for errors.

The integer and real checks are :mod:`lqrppg._validation`'s (numpy only, no import cycle).
"""

from __future__ import annotations

from typing import Any

import torch

from lqrppg._validation import check_choice

__all__ = ["ARCHITECTURES", "check_architecture", "shape_of"]

#: Values of the ``architecture`` argument of the LQ-rPPG modules: ours, or the form of the
#: authors' released code (whose checkpoints load into it).
ARCHITECTURES = ("lqrppg", "authors")


def shape_of(t: Any) -> str:
    """The shape of a tensor as text, or the type name of anything else (for errors)."""
    return str(tuple(t.shape)) if isinstance(t, torch.Tensor) else type(t).__name__


def check_architecture(architecture: Any) -> str:
    """``architecture`` if it is one of :data:`ARCHITECTURES`, else a ``ValueError``."""
    return check_choice(architecture, "architecture", ARCHITECTURES)
