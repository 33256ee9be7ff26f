"""ICA: blind source separation of the colour traces (Poh, McDuff & Picard 2010)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.utils import check_random_state

from .._validation import Integer, Options, Positive, check_int
from ..signal import HR_BAND, bandpass, detrend, standardize
from ._base import BaseRPPG

__all__ = ["ICA"]

_ALGORITHMS = ("jade", "fastica")


def jade(x: np.ndarray, n_components: int, *, max_sweeps: int = 100) -> np.ndarray:
    """Independent components of real signals by JADE (Cardoso & Souloumiac 1993).

    The signals are whitened (principal components scaled to unit variance, the
    ``n_components`` largest kept), the ``m (m + 1) / 2`` fourth-order cumulant matrices of
    the whitened signals are formed, and they are jointly diagonalised by Jacobi (Givens)
    rotations until no rotation angle exceeds ``1 / (100 sqrt(T))``.

    Parameters
    ----------
    x : ndarray of shape (n_signals, T)
        Observed mixtures (centred here).
    n_components : int
        Number of sources, ``1 <= n_components <= n_signals``.
    max_sweeps : int, default=100
        Upper bound on the sweeps over all pairs (convergence usually takes a few).

    Returns
    -------
    ndarray of shape (n_components, T)
        Unit-variance sources, ordered by decreasing energy of their mixing column
        (the contribution of each source to the observations). Signs are arbitrary.
    """
    x = x - x.mean(axis=1, keepdims=True)
    t = x.shape[1]
    m = n_components
    evals, evecs = np.linalg.eigh(x @ x.T / t)
    keep = np.argsort(evals)[::-1][:m]
    whitener = evecs[:, keep].T / np.sqrt(evals[keep])[:, None]
    y = whitener @ x  # (m, T), identity covariance

    # Cumulant matrices Q_ij[a, b] = cum(y_i, y_j, y_a, y_b) for i <= j, the off-diagonal
    # ones scaled by sqrt(2) so that the set spans the cumulant tensor's eigen-space.
    eye = np.eye(m)
    mats = []
    for i in range(m):
        mats.append((y * (y[i] * y[i])) @ y.T / t - eye - 2.0 * np.outer(eye[i], eye[i]))
        for j in range(i):
            q = (y * (y[i] * y[j])) @ y.T / t - np.outer(eye[i], eye[j]) - np.outer(eye[j], eye[i])
            mats.append(np.sqrt(2.0) * q)
    cm = np.concatenate(mats, axis=1)  # (m, m * n_mats)

    rot = np.eye(m)
    threshold = 1.0 / np.sqrt(t) / 100.0
    for _ in range(max_sweeps):
        rotated = False
        for p in range(m - 1):
            for q in range(p + 1, m):
                ip = np.arange(p, cm.shape[1], m)
                iq = np.arange(q, cm.shape[1], m)
                g = np.vstack([cm[p, ip] - cm[q, iq], cm[p, iq] + cm[q, ip]])
                gg = g @ g.T
                ton = gg[0, 0] - gg[1, 1]
                toff = gg[0, 1] + gg[1, 0]
                theta = 0.5 * np.arctan2(toff, ton + np.hypot(ton, toff))
                if abs(theta) > threshold:
                    rotated = True
                    c, s = np.cos(theta), np.sin(theta)
                    giv = np.array([[c, -s], [s, c]])
                    pair = [p, q]
                    rot[:, pair] = rot[:, pair] @ giv
                    cm[pair, :] = giv.T @ cm[pair, :]
                    cm[:, ip], cm[:, iq] = (
                        c * cm[:, ip] + s * cm[:, iq],
                        c * cm[:, iq] - s * cm[:, ip],
                    )
        if not rotated:
            break
    unmixing = rot.T @ whitener
    mixing = np.linalg.pinv(unmixing)
    order = np.argsort(np.sum(mixing * mixing, axis=0))[::-1]
    return (unmixing @ x)[order]


def _fastica(x: np.ndarray, n_components: int, random_state) -> np.ndarray:
    from sklearn.decomposition import FastICA

    ica = FastICA(
        n_components=n_components,
        whiten="unit-variance",
        max_iter=1000,
        random_state=random_state,
    )
    sources = ica.fit_transform(x.T).T
    order = np.argsort(np.sum(ica.mixing_ * ica.mixing_, axis=0))[::-1]
    return sources[order]


class ICA(BaseRPPG):
    """Independent-component-analysis rPPG (Poh, McDuff & Picard 2010).

    Each colour trace is detrended (smoothness priors, ``detrend_lambda``) and z-scored;
    ``n_components`` independent sources are separated by JADE (as in the paper) or
    FastICA; the source whose normalised power spectrum has the highest peak inside
    ``band`` is kept (or the source of index ``component``) and band-passed (zero-phase
    Butterworth of order ``filter_order`` over the HR chain's pass band: ``band`` for
    ``chain="toolbox"``, an octave wider on each side for ``"robust"``).

    Read more in Poh, McDuff & Picard, "Non-contact, automated cardiac pulse measurements
    using video imaging and blind source separation", Optics Express 18(10):10762-10774
    (2010), and Poh, McDuff & Picard, IEEE Trans. Biomed. Eng. 58(1):7-11 (2011) for the
    spectral-peak selection.

    Parameters
    ----------
    fs : float, default=30.0
        Frame rate in Hz.
    band : (float, float), default=HR_BAND
        Band in Hz for source selection, the output filter and :meth:`predict_hr`;
        ``0 < low < high < fs / 2``.
    chain : {"robust", "toolbox"}, default="robust"
        HR chain of :meth:`predict_hr` (see :func:`lqrppg.signal.estimate_hr`).
    n_components : int, default=3
        Number of sources, 1 to 3.
    component : "peak" or int, default="peak"
        ``"peak"`` keeps the source with the highest normalised spectral peak in ``band``
        (Poh et al. 2011, rPPG-Toolbox); an integer keeps that source, sources being
        ordered by decreasing energy of their mixing column (Poh et al. 2010 took the
        second, ``component=1``).
    algorithm : {"jade", "fastica"}, default="jade"
        Separation algorithm: deterministic JADE, or scikit-learn's FastICA.
    detrend_lambda : float, default=100.0
        Smoothness-priors parameter of the detrending before separation.
    filter_order : int, default=3
        Order of the output Butterworth band-pass.
    random_state : int, RandomState instance or None, default=None
        Seed of FastICA's initial unmixing matrix; unused by JADE.

    Notes
    -----
    Output: the selected source after the band-pass (part of the published method), with
    unit-variance scale before filtering. ICA leaves the sign of a source undetermined;
    it is fixed here so that the output correlates positively with the detrended green
    trace, i.e. it follows the reflected intensity like :class:`GREEN`. Selection uses
    the band's peak rather than rPPG-Toolbox's whole-spectrum peak, so that a strong
    out-of-band source is not picked.

    With ``chain="toolbox"`` the band-pass inside the method attenuates a pulse lying at the
    lower edge of ``band``, so that its second harmonic can dominate; the robust chain's
    wider pass band keeps it.

    A series with a constant channel is returned as NaN with an
    :class:`~lqrppg.exceptions.EstimationWarning`.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.baselines import ICA
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(600) / 30.0
    >>> pulse = np.outer(np.sin(2 * np.pi * 1.2 * t), [0.33, 0.77, 0.53])
    >>> noise = 0.002 * rng.standard_normal((600, 3))
    >>> rgb = (np.array([180.0, 120.0, 100.0]) * (1 + 0.01 * pulse + noise))[None]
    >>> ICA().predict_hr(rgb).round(1).tolist()
    [72.0]
    """

    def __init__(
        self,
        *,
        fs: float = 30.0,
        band=HR_BAND,
        chain: str = "robust",
        n_components: int = 3,
        component="peak",
        algorithm: str = "jade",
        detrend_lambda: float = 100.0,
        filter_order: int = 3,
        random_state=None,
    ):
        self.fs = fs
        self.band = band
        self.chain = chain
        self.n_components = n_components
        self.component = component
        self.algorithm = algorithm
        self.detrend_lambda = detrend_lambda
        self.filter_order = filter_order
        self.random_state = random_state

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **BaseRPPG._parameter_constraints,
        "n_components": Integer(1, 3),
        "algorithm": Options(_ALGORITHMS),
        "detrend_lambda": Positive(),
        "filter_order": Integer(1),
    }

    def _check_method_params(self, fs: float, band: tuple[float, float]) -> None:
        if not (isinstance(self.component, str) and self.component == "peak"):
            check_int(self.component, 'component (or "peak")', 0, self.n_components - 1)

    def _min_length(self, fs: float, band: tuple[float, float]) -> int:
        return 3 * (2 * self.filter_order + 1) + 1  # padding of the zero-phase band-pass

    def _length_reason(self, fs: float, band: tuple[float, float]) -> str:
        return f" by the band-pass of order {self.filter_order}"

    def _extract(self, rgb: np.ndarray, fs: float, band: tuple[float, float]) -> np.ndarray:
        n, t, _ = rgb.shape
        rng = check_random_state(self.random_state) if self.algorithm == "fastica" else None
        m = self.n_components
        selected = np.empty((n, t))
        for i, trace in enumerate(rgb):
            x = standardize(detrend(trace.T, lam=self.detrend_lambda))  # (3, T)
            if self.algorithm == "jade":
                sources = jade(x, m)
            else:
                sources = _fastica(x, m, rng)
            k = self._select(sources, fs, band) if self.component == "peak" else self.component
            s = sources[k]
            selected[i] = -s if s @ x[1] < 0 else s
        return bandpass(selected, fs, band=self._pass_band(fs, band), order=self.filter_order)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.algorithm == "fastica" and self.random_state is None
        return tags

    @staticmethod
    def _select(sources: np.ndarray, fs: float, band: tuple[float, float]) -> int:
        power = np.abs(np.fft.rfft(sources, axis=1)) ** 2
        power[:, 0] = 0.0  # DC carries no pulse
        power /= power.sum(axis=1, keepdims=True)
        freqs = np.fft.rfftfreq(sources.shape[1], d=1.0 / fs)
        in_band = (freqs >= band[0]) & (freqs <= band[1])
        if not np.any(in_band):
            return int(np.argmax(power.max(axis=1)))
        return int(np.argmax(power[:, in_band].max(axis=1)))
