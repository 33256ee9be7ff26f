"""GREEN: the green-channel trace (Verkruysse, Svaasand & Nelson 2008)."""

from __future__ import annotations

import numpy as np

from ._base import BaseRPPG

__all__ = ["GREEN"]


class GREEN(BaseRPPG):
    """Green-channel rPPG (Verkruysse et al. 2008).

    The pulse signal is the spatially averaged green channel, which carries the strongest
    plethysmographic signal in ambient-light video of skin. No filtering is applied:
    :meth:`predict_hr` removes the trend and band-passes.

    Read more in Verkruysse, Svaasand & Nelson, "Remote plethysmographic imaging using
    ambient light", Optics Express 16(26):21434-21445 (2008).

    Parameters
    ----------
    fs : float, default=30.0
        Frame rate in Hz.
    band : (float, float), default=HR_BAND
        Heart-rate band in Hz (40-180 bpm), ``0 < low < high < fs / 2``; used by
        :meth:`predict_hr`.
    chain : {"robust", "toolbox"}, default="robust"
        HR chain of :meth:`predict_hr` (see :func:`lqrppg.signal.estimate_hr`).

    Notes
    -----
    Output: the raw mean green intensity, shape (n, T), in the input's units and with its
    DC level. Sign: it follows the reflected intensity, which falls as blood volume rises
    (the output is inverted with respect to a contact PPG drawn "up = more blood").
    A series whose green channel is constant is returned as NaN with an
    :class:`~lqrppg.exceptions.EstimationWarning`; red and blue are not used.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.baselines import GREEN
    >>> t = np.arange(600) / 30.0
    >>> rgb = np.ones((1, 600, 3)) * 100 + np.sin(2 * np.pi * 1.2 * t)[None, :, None]
    >>> GREEN().predict_hr(rgb).round(1).tolist()
    [72.0]
    """

    _channels = (1,)

    def _extract(self, rgb: np.ndarray, fs: float, band: tuple[float, float]) -> np.ndarray:
        return rgb[:, :, 1].copy()
