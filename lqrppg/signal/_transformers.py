"""scikit-learn transformers over (n_clips, T) signals."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_int
from ._filters import bandpass, detrend, standardize
from ._validation import check_band, check_fs

__all__ = ["BandpassFilter", "Detrender", "SignalStandardizer"]


class _RowSignalTransformer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Stateless transformer applying a 1-D signal operation to each row (clip).

    Each row of ``X`` is one clip and each column one time step, so the number of time
    steps is fixed at ``fit`` (``n_features_in_``) and checked in ``transform``.
    """

    def _check_params(self) -> None:  # overridden where there are parameters
        pass

    def fit(self, X, y=None):
        """Validate ``X`` (n_clips, T) and the parameters; no statistics are learned.

        Parameters
        ----------
        X : array-like of shape (n_clips, T)
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        validate_data(self, X, dtype=np.float64, reset=True)
        return self

    def transform(self, X):
        """Apply the operation to every clip.

        Parameters
        ----------
        X : array-like of shape (n_clips, T)
            ``T`` must equal the number of time steps seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_clips, T), float64
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self._apply(X)

    def _apply(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags


class Detrender(_RowSignalTransformer):
    """Smoothness-priors detrending of each clip (see :func:`lqrppg.signal.detrend`).

    Parameters
    ----------
    lam : float, default=100.0
        Smoothing parameter (> 0).

    Attributes
    ----------
    n_features_in_ : int
        Number of time steps per clip seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import Detrender
    >>> X = np.linspace(0, 5, 300)[None, :] + np.sin(np.arange(300) / 3.0)[None, :]
    >>> Detrender().fit_transform(X).shape
    (1, 300)
    """

    def __init__(self, *, lam: float = 100.0):
        self.lam = lam

    def _check_params(self) -> None:
        lam = self.lam
        if isinstance(lam, bool) or not np.isscalar(lam) or not np.isfinite(lam) or lam <= 0:
            raise ValueError(f"lam must be a positive finite number; got {lam!r}")

    def _apply(self, X):
        return detrend(X, lam=self.lam)


class BandpassFilter(_RowSignalTransformer):
    """Zero-phase Butterworth band-pass of each clip (see :func:`lqrppg.signal.bandpass`).

    Parameters
    ----------
    fs : float, default=30.0
        Sampling rate in Hz.
    band : (float, float), default=(0.75, 2.5)
        Pass band in Hz.
    order : int, default=1
        Butterworth order.

    Attributes
    ----------
    n_features_in_ : int
        Number of time steps per clip seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import BandpassFilter
    >>> X = np.random.default_rng(0).standard_normal((2, 300))
    >>> BandpassFilter(fs=30.0).fit_transform(X).shape
    (2, 300)
    """

    def __init__(self, *, fs: float = 30.0, band=(0.75, 2.5), order: int = 1):
        self.fs = fs
        self.band = band
        self.order = order

    def _check_params(self) -> None:
        check_band(self.band, check_fs(self.fs))
        check_int(self.order, "order", 1, expected="a positive integer")

    def _apply(self, X):
        return bandpass(X, self.fs, band=self.band, order=self.order)


class SignalStandardizer(_RowSignalTransformer):
    """Z-score each clip over time (zero mean, unit standard deviation per row).

    Unlike :class:`sklearn.preprocessing.StandardScaler`, which scales each column (time
    step) across clips, this scales each row (clip) over its own time steps, the
    per-clip normalisation used for pulse signals. A constant clip raises ``ValueError``.

    Attributes
    ----------
    n_features_in_ : int
        Number of time steps per clip seen in ``fit``.

    Examples
    --------
    >>> from lqrppg.signal import SignalStandardizer
    >>> SignalStandardizer().fit_transform([[1.0, 2.0, 3.0]]).round(4).tolist()
    [[-1.2247, 0.0, 1.2247]]
    """

    def __init__(self):
        pass

    def _apply(self, X):
        return standardize(X)
