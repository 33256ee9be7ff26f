"""LGI: local group invariance (Pilz, Zaunseder, Krajewski & Blazek 2018)."""

from __future__ import annotations

import numpy as np

from ._base import BaseRPPG

__all__ = ["LGI"]


class LGI(BaseRPPG):
    """Local Group Invariance rPPG (Pilz et al. 2018).

    The dominant direction ``u`` of the 3 x T matrix ``C`` of mean RGB values (its first
    left singular vector, essentially the skin colour) is projected out,
    ``Y = (I - u u^T) C``, and the green row of ``Y`` is the pulse signal. Removing the
    dominant colour direction makes the signal invariant to intensity changes along it
    (illumination and motion).

    Read more in Pilz, Zaunseder, Krajewski & Blazek, "Local group invariance for heart
    rate estimation from face videos in the wild", CVPR Workshops, 1254-1262 (2018).

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
    The projection is computed over the whole series, on the raw (not mean-normalised)
    intensities, as in rPPG-Toolbox's ``LGI``. No filtering is applied: the output keeps a
    small DC level and the slow trends, which :meth:`predict_hr` removes.

    Sign: for skin-like colours the output follows the reflected intensity along the
    blood-volume-pulse signature (the green component of the signature is larger, relative
    to the skin colour, than the others), like :class:`GREEN`.

    A series with a constant channel is returned as NaN with an
    :class:`~lqrppg.exceptions.EstimationWarning`.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.baselines import LGI
    >>> t = np.arange(600) / 30.0
    >>> pulse = np.outer(np.sin(2 * np.pi * 1.2 * t), [0.33, 0.77, 0.53])
    >>> rgb = (np.array([180.0, 120.0, 100.0]) * (1 + 0.01 * pulse))[None]
    >>> LGI().predict_hr(rgb).round(1).tolist()
    [72.0]
    """

    def _extract(self, rgb: np.ndarray, fs: float, band: tuple[float, float]) -> np.ndarray:
        c = np.swapaxes(rgb, 1, 2)  # (n, 3, T)
        # The left singular vectors of C are the eigenvectors of the 3 x 3 matrix C C^T.
        _, vecs = np.linalg.eigh(c @ np.swapaxes(c, 1, 2))
        u = vecs[:, :, -1]  # largest eigenvalue last
        proj = np.eye(3) - u[:, :, None] * u[:, None, :]
        return np.einsum("nc,nct->nt", proj[:, 1], c)
