"""POS: plane-orthogonal-to-skin projection (Wang, den Brinker, Stuijk & de Haan 2017)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from .._validation import Positive
from ..signal import HR_BAND
from ._base import BaseRPPG

__all__ = ["POS"]

# Rows span the plane orthogonal to the skin-tone direction (1, 1, 1) of normalised RGB.
_PROJECTION = np.array([[0.0, 1.0, -1.0], [-2.0, 1.0, 1.0]])


def window_samples(window: float, fs: float) -> int:
    """Frames in a window of ``window`` seconds: ``ceil(window * fs)``, robust to round-off."""
    return math.ceil(window * fs - 1e-9)


class POS(BaseRPPG):
    """Plane-Orthogonal-to-Skin rPPG (Wang et al. 2017).

    For every window of ``window`` seconds (one per frame, stride one frame): each channel
    is divided by its mean over the window (temporal normalisation), the normalised RGB is
    projected onto the plane orthogonal to the skin tone, ``S = [[0, 1, -1], [-2, 1, 1]] C``,
    the two projections are combined by alpha tuning, ``h = S1 + (std S1 / std S2) S2``,
    and the zero-mean ``h`` is overlap-added into the output.

    Read more in Wang, den Brinker, Stuijk & de Haan, "Algorithmic principles of remote
    PPG", IEEE Trans. Biomed. Eng. 64(7):1479-1491 (2017), Algorithm 1.

    Parameters
    ----------
    fs : float, default=30.0
        Frame rate in Hz.
    band : (float, float), default=HR_BAND
        Heart-rate band in Hz, ``0 < low < high < fs / 2``; used by :meth:`predict_hr`.
    chain : {"robust", "toolbox"}, default="robust"
        HR chain of :meth:`predict_hr` (see :func:`lqrppg.signal.estimate_hr`).
    window : float, default=1.6
        Window length in seconds (the paper's 1.6 s); ``ceil(window * fs)`` frames, at
        least 2. Series must have at least that many frames.

    Notes
    -----
    Output: the overlap-added signal ``H`` of Algorithm 1, without the detrending and
    band-pass that rPPG-Toolbox's ``POS_WANG`` applies afterwards (:meth:`predict_hr`
    applies that evaluation chain once, for every method alike). Samples near the ends are
    covered by fewer windows and so have a smaller amplitude, as in the paper. All
    ``T - L + 1`` windows are used (rPPG-Toolbox skips the window that ends on the last
    frame). Where ``std S2`` is zero in a window, ``h = S1`` there.

    Sign: the output follows the reflected intensity along the blood-volume-pulse colour
    signature (it rises when the skin brightens along that direction, i.e. falls as blood
    volume rises), like :class:`GREEN`.

    A series with a constant channel is returned as NaN with an
    :class:`~lqrppg.exceptions.EstimationWarning`; intensities must be non-negative.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.baselines import POS
    >>> t = np.arange(600) / 30.0
    >>> pulse = np.outer(np.sin(2 * np.pi * 1.2 * t), [0.33, 0.77, 0.53])
    >>> rgb = (np.array([180.0, 120.0, 100.0]) * (1 + 0.01 * pulse))[None]
    >>> POS().predict_hr(rgb).round(1).tolist()
    [72.0]
    """

    _normalizes = True

    def __init__(
        self, *, fs: float = 30.0, band=HR_BAND, chain: str = "robust", window: float = 1.6
    ):
        self.fs = fs
        self.band = band
        self.chain = chain
        self.window = window

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **BaseRPPG._parameter_constraints,
        "window": Positive(),
    }

    def _check_method_params(self, fs: float, band: tuple[float, float]) -> None:
        window = self.window
        if window_samples(window, fs) < 2:
            raise ValueError(
                f"window must span at least 2 frames (window * fs >= 2); got window={window!r}"
                f" s at fs={fs:g} Hz"
            )

    def _min_length(self, fs: float, band: tuple[float, float]) -> int:
        return window_samples(self.window, fs)

    def _length_reason(self, fs: float, band: tuple[float, float]) -> str:
        return f" (one window of {self.window!r} s at fs={fs:g} Hz)"

    def _extract(self, rgb: np.ndarray, fs: float, band: tuple[float, float]) -> np.ndarray:
        n, t, _ = rgb.shape
        length = window_samples(self.window, fs)
        n_win = t - length + 1
        out = np.zeros((n, t))
        for i in range(n):  # one series at a time bounds memory at (n_win, 3, length)
            win = np.lib.stride_tricks.sliding_window_view(rgb[i], length, axis=0)
            cn = win / win.mean(axis=-1, keepdims=True)
            s = np.einsum("pc,wcl->wpl", _PROJECTION, cn)
            std = s.std(axis=-1)
            alpha = np.divide(std[:, 0], std[:, 1], out=np.zeros(n_win), where=std[:, 1] > 0)
            h = s[:, 0] + alpha[:, None] * s[:, 1]
            h -= h.mean(axis=-1, keepdims=True)
            for k in range(length):  # overlap-add: window w covers frames w .. w+length-1
                out[i, k : k + n_win] += h[:, k]
        return out
