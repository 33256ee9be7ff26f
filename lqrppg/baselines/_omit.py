"""OMIT: orthogonal matrix image transformation (Casado & López 2023)."""

from __future__ import annotations

import numpy as np

from ._base import BaseRPPG

__all__ = ["OMIT"]


class OMIT(BaseRPPG):
    """Orthogonal Matrix Image Transformation rPPG (Casado & López 2023).

    The 3 x T matrix ``C`` of mean RGB values is factorised as ``C = Q R`` (QR
    decomposition); the first column ``q`` of ``Q`` is projected out,
    ``Y = (I - q q^T) C``, and the green row of ``Y`` is the pulse signal.

    Read more in Álvarez Casado & Bordallo López, "Face2PPG: An unsupervised pipeline for
    blood volume pulse extraction from faces", IEEE J. Biomed. Health Inform. 27(11)
    (2023).

    Parameters
    ----------
    fs : float, default=30.0
        Frame rate in Hz.
    band : (float, float), default=HR_BAND
        Heart-rate band in Hz, ``0 < low < high < fs / 2``; used by :meth:`predict_hr`.
    chain : {"robust", "toolbox"}, default="robust"
        HR chain of :meth:`predict_hr` (see :func:`lqrppg.signal.estimate_hr`).

    Notes
    -----
    ``q`` is, by construction of the QR decomposition, the colour of the first frame
    normalised to unit length: OMIT removes the skin-colour direction estimated from the
    first frame, where :class:`LGI` uses the dominant direction of all frames. The
    projection is computed over the whole series on raw intensities and no filtering is
    applied, as in pyVHR and rPPG-Toolbox; :meth:`predict_hr` detrends and band-passes.

    Sign: for skin-like colours the output follows the reflected intensity along the
    blood-volume-pulse signature, like :class:`GREEN`.

    A series with a constant channel is returned as NaN with an
    :class:`~lqrppg.exceptions.EstimationWarning`; so is one whose first frame is black
    (no direction to project out).

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.baselines import OMIT
    >>> t = np.arange(600) / 30.0
    >>> pulse = np.outer(np.sin(2 * np.pi * 1.2 * t), [0.33, 0.77, 0.53])
    >>> rgb = (np.array([180.0, 120.0, 100.0]) * (1 + 0.01 * pulse))[None]
    >>> OMIT().predict_hr(rgb).round(1).tolist()
    [72.0]
    """

    def _extract(self, rgb: np.ndarray, fs: float, band: tuple[float, float]) -> np.ndarray:
        out = np.empty(rgb.shape[:2])
        for i, trace in enumerate(rgb):
            c = trace.T  # (3, T)
            if not np.any(c[:, 0]):
                out[i] = np.nan  # Q's first column is undefined for a black first frame
                continue
            q = np.linalg.qr(c, mode="reduced")[0][:, 0]
            out[i] = c[1] - q[1] * (q @ c)
        return out
