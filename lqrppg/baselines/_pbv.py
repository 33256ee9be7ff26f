"""PBV: blood-volume-pulse signature (de Haan & van Leest 2014)."""

from __future__ import annotations

import numpy as np

from ..signal import HR_BAND, bandpass, detrend
from ._base import BaseRPPG

__all__ = ["PBV"]

_ESTIMATES = ("bandpass", "std")


class PBV(BaseRPPG):
    """Blood-volume-pulse signature rPPG (de Haan & van Leest 2014).

    Each channel is divided by its temporal mean, giving the 3 x T matrix ``Cn``. With the
    unit-length pulse signature ``p`` (the relative pulse amplitudes in R, G, B), the
    weights ``W = Q^-1 p`` with ``Q = Cn Cn^T`` are those of the linear combination of the
    channels that has the least energy among those whose response to ``p`` is one, and
    the pulse signal is ``S = W^T Cn / (p^T W)``.

    Read more in de Haan & van Leest, "Improved motion robustness of remote-PPG by using
    the blood volume pulse signature", Physiol. Meas. 35(9):1913-1926 (2014).

    Parameters
    ----------
    fs : float, default=30.0
        Frame rate in Hz.
    band : (float, float), default=HR_BAND
        Heart-rate band in Hz, ``0 < low < high < fs / 2``; used by :meth:`predict_hr` and
        to estimate the signature.
    chain : {"robust", "toolbox"}, default="robust"
        HR chain of :meth:`predict_hr` (see :func:`lqrppg.signal.estimate_hr`).
    signature : {"bandpass", "std"} or array-like of shape (3,), default="bandpass"
        Pulse signature ``p`` (relative pulse amplitudes in R, G, B, normalised to unit
        length). ``"bandpass"`` estimates it from each series as the standard deviations of
        the mean-normalised channels after detrending and band-passing them (over the HR
        chain's pass band), i.e. from the pulse's own variation; ``"std"`` uses the standard
        deviations of the unfiltered mean-normalised channels, as pyVHR and rPPG-Toolbox do
        (slow intensity drift, common to all channels, then dominates the estimate and can
        spoil the output); an array gives a fixed signature, as in the paper, which measured
        it for its camera (e.g. ``[0.33, 0.77, 0.53]``). Fixed values must be non-negative
        and not all zero.

    Notes
    -----
    ``Cn`` is not centred (its rows have mean one), as in rPPG-Toolbox's ``PBV``: its large
    constant part forces the weights to sum to nearly zero, so that intensity changes
    common to all channels are rejected. The output has a constant offset and is not
    filtered; :meth:`predict_hr` detrends and band-passes. The whole series is processed
    at once.

    Sign: ``S`` rises when the skin brightens along ``p``, like :class:`GREEN`. With
    ``signature="std"``, ``p`` can be dominated by drift and the pulse may come out
    inverted (seen on synthetic videos with light drift).

    A series with a constant channel, or whose channels are linearly dependent (``Q``
    singular), is returned as NaN with an :class:`~lqrppg.exceptions.EstimationWarning`;
    intensities must be non-negative.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.baselines import PBV
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(600) / 30.0
    >>> pulse = np.outer(np.sin(2 * np.pi * 1.2 * t), [0.33, 0.77, 0.53])
    >>> noise = 0.001 * rng.standard_normal((600, 3))
    >>> rgb = (np.array([180.0, 120.0, 100.0]) * (1 + 0.01 * pulse + noise))[None]
    >>> PBV().predict_hr(rgb).round().tolist()
    [72.0]
    """

    _normalizes = True

    def __init__(
        self, *, fs: float = 30.0, band=HR_BAND, chain: str = "robust", signature="bandpass"
    ):
        self.fs = fs
        self.band = band
        self.chain = chain
        self.signature = signature

    def _check_method_params(self, fs: float, band: tuple[float, float]) -> None:
        self._signature()

    def _min_length(self, fs: float, band: tuple[float, float]) -> int:
        # The "bandpass" estimate filters each channel (first order: 9 frames of padding).
        return 10 if isinstance(self.signature, str) and self.signature == "bandpass" else 2

    def _length_reason(self, fs: float, band: tuple[float, float]) -> str:
        return ' to estimate the signature by band-pass (signature="bandpass")'

    def _signature(self) -> np.ndarray | None:
        """The fixed signature (unit length), or None when it is estimated per series."""
        if isinstance(self.signature, str):
            if self.signature not in _ESTIMATES:
                raise ValueError(
                    f"signature must be one of {_ESTIMATES} or 3 non-negative numbers "
                    f"(R, G, B); got {self.signature!r}"
                )
            return None
        try:
            p = np.asarray(self.signature, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"signature must be one of {_ESTIMATES} or 3 non-negative numbers (R, G, B); "
                f"got {self.signature!r}"
            ) from exc
        if p.shape != (3,) or not np.all(np.isfinite(p)) or np.any(p < 0) or not np.any(p):
            raise ValueError(
                f"signature must be one of {_ESTIMATES} or 3 non-negative finite numbers "
                f"(R, G, B), not all zero; got {self.signature!r}"
            )
        return p / np.linalg.norm(p)

    def _extract(self, rgb: np.ndarray, fs: float, band: tuple[float, float]) -> np.ndarray:
        fixed = self._signature()
        out = np.empty(rgb.shape[:2])
        for i, trace in enumerate(rgb):
            cn = (trace / trace.mean(axis=0)).T  # (3, T), rows of mean one
            if fixed is not None:
                p = fixed
            elif self.signature == "bandpass":
                p = bandpass(detrend(cn), fs, band=self._pass_band(fs, band)).std(axis=1)
            else:
                p = cn.std(axis=1)
            p = p / np.linalg.norm(p)
            try:
                w = np.linalg.solve(cn @ cn.T, p)
            except np.linalg.LinAlgError:
                out[i] = np.nan  # channels linearly dependent: Q is singular
                continue
            out[i] = (w @ cn) / (p @ w)
        return out
