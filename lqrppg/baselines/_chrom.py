"""CHROM: chrominance-based rPPG (de Haan & Jeanne 2013)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.signal import windows

from .._validation import Integer, Positive
from ..signal import HR_BAND, bandpass
from ._base import BaseRPPG
from ._pos import window_samples

__all__ = ["CHROM"]


def _chrom_length(window: float, fs: float) -> int:
    length = window_samples(window, fs)
    return length + (length % 2)  # even, so that half-overlapping windows tile exactly


class CHROM(BaseRPPG):
    """Chrominance-based rPPG (de Haan & Jeanne 2013).

    The traces are cut into Hann-tapered windows of ``window`` seconds that overlap by
    half. In each window every channel is divided by its mean, the chrominance signals
    ``X = 3R - 2G`` and ``Y = 1.5R + G - 1.5B`` are band-passed (zero-phase Butterworth of
    order ``filter_order`` over ``band``) into ``Xf, Yf``, and the window's pulse
    ``S = Xf - alpha * Yf`` with ``alpha = std(Xf) / std(Yf)`` is multiplied by the Hann
    window and overlap-added into the output. The band-pass's pass band is the HR chain's
    (``chain``): ``band`` itself for ``"toolbox"``, an octave wider on each side for
    ``"robust"`` (see :func:`lqrppg.signal.filter_pulse`).

    Read more in de Haan & Jeanne, "Robust pulse rate from chrominance-based rPPG",
    IEEE Trans. Biomed. Eng. 60(10):2878-2886 (2013).

    Parameters
    ----------
    fs : float, default=30.0
        Frame rate in Hz.
    band : (float, float), default=HR_BAND
        Heart-rate band in Hz (40-180 bpm) of :meth:`predict_hr` and, through ``chain``,
        of the in-window filter; ``0 < low < high < fs / 2``.
    chain : {"robust", "toolbox"}, default="robust"
        HR chain of :meth:`predict_hr` (see :func:`lqrppg.signal.estimate_hr`) and of the
        in-window band-pass.
    window : float, default=1.6
        Window length in seconds; ``ceil(window * fs)`` frames rounded up to an even
        number ``L``. Consecutive windows start ``L / 2`` frames apart (50 % overlap).
        ``L`` must exceed the filter's padding, ``3 * (2 * filter_order + 1)`` frames, and
        series must have at least ``L`` frames.
    filter_order : int, default=3
        Order of the Butterworth band-pass applied in each window.

    Notes
    -----
    Output: the overlap-added signal, already band-passed by construction. The Hann
    window is the periodic one, so that half-overlapping windows sum to exactly one. The
    first ``L / 2`` frames fade in (they are covered by the rising half of the first
    window only) and the last frames fade out; frames after the last complete window
    (fewer than ``L / 2``) are zero, as in rPPG-Toolbox's ``CHROME_DEHAAN`` (which returns
    a shorter signal there).

    With ``chain="toolbox"`` the band-pass inside the method attenuates a pulse lying at the
    lower edge of ``band``, so that its second harmonic can dominate; the robust chain's
    wider pass band keeps it.

    Sign: as published, ``S`` falls when the skin brightens along the blood-volume-pulse
    colour signature (it rises with blood volume) - the opposite of :class:`GREEN` and
    :class:`POS`.

    A series with a constant channel is returned as NaN with an
    :class:`~lqrppg.exceptions.EstimationWarning`; intensities must be non-negative.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.baselines import CHROM
    >>> t = np.arange(600) / 30.0
    >>> pulse = np.outer(np.sin(2 * np.pi * 1.2 * t), [0.33, 0.77, 0.53])
    >>> rgb = (np.array([180.0, 120.0, 100.0]) * (1 + 0.01 * pulse))[None]
    >>> CHROM().predict_hr(rgb).round(1).tolist()
    [72.0]
    """

    _normalizes = True

    def __init__(
        self,
        *,
        fs: float = 30.0,
        band=HR_BAND,
        chain: str = "robust",
        window: float = 1.6,
        filter_order: int = 3,
    ):
        self.fs = fs
        self.band = band
        self.chain = chain
        self.window = window
        self.filter_order = filter_order

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **BaseRPPG._parameter_constraints,
        "window": Positive(),
        "filter_order": Integer(1),
    }

    def _check_method_params(self, fs: float, band: tuple[float, float]) -> None:
        window, order = self.window, self.filter_order
        length = _chrom_length(window, fs)
        needed = 3 * (2 * order + 1) + 1  # zero-phase filtering pads 3 * (2 * order + 1)
        if length < needed:
            raise ValueError(
                f"window is too short for a band-pass of order {order}: {length} frames at "
                f"fs={fs:g} Hz, at least {needed} are needed (window >= {needed / fs:.3g} s)"
            )

    def _min_length(self, fs: float, band: tuple[float, float]) -> int:
        return _chrom_length(self.window, fs)

    def _length_reason(self, fs: float, band: tuple[float, float]) -> str:
        return f" (one window of {self.window!r} s at fs={fs:g} Hz)"

    def _extract(self, rgb: np.ndarray, fs: float, band: tuple[float, float]) -> np.ndarray:
        n, t, _ = rgb.shape
        length = _chrom_length(self.window, fs)
        half = length // 2
        n_win = (t - half) // half
        starts = np.arange(n_win) * half
        # (n, n_win, 3, length): windows starting every `half` frames
        win = np.lib.stride_tricks.sliding_window_view(rgb, length, axis=1)[:, starts]
        cn = win / win.mean(axis=-1, keepdims=True)
        xs = 3.0 * cn[:, :, 0] - 2.0 * cn[:, :, 1]
        ys = 1.5 * cn[:, :, 0] + cn[:, :, 1] - 1.5 * cn[:, :, 2]
        xy = bandpass(
            np.concatenate([xs, ys]).reshape(-1, length),
            fs,
            band=self._pass_band(fs, band),
            order=self.filter_order,
        ).reshape(2, n, n_win, length)
        xf, yf = xy[0], xy[1]
        alpha = xf.std(axis=-1, keepdims=True) / yf.std(axis=-1, keepdims=True)
        s = (xf - alpha * yf) * windows.hann(length, sym=False)
        out = np.zeros((n, t))
        # Hop of exactly half a window: first halves tile [0, n_win*half), second halves
        # tile [half, (n_win+1)*half).
        out[:, : n_win * half] += s[:, :, :half].reshape(n, -1)
        out[:, half : (n_win + 1) * half] += s[:, :, half:].reshape(n, -1)
        return out
