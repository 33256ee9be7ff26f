"""Warnings and exceptions raised by lqrppg."""

from __future__ import annotations

__all__ = ["EstimationWarning", "ModelFileError", "TruncatedVideoWarning"]


class EstimationWarning(UserWarning):
    """An estimate could not be made and was returned as NaN.

    Raised, for example, when a heart rate is asked of a flat signal or of a signal whose
    spectral maximum lies outside the physiological band.
    """


class ModelFileError(ValueError):
    """A file is not a model lqrppg can load: missing, unreadable, damaged or of another kind.

    The message names the file and what is wrong with it. A subclass of ``ValueError``.
    """


class TruncatedVideoWarning(UserWarning):
    """A video decoded to fewer frames than its container declares: cut short or damaged.

    The message names the file, the frames decoded and declared, and the seconds missing.
    """
