"""Shared machinery of the unsupervised rPPG baselines: input checks, spatial mean, HR."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..exceptions import EstimationWarning
from ..signal import estimate_hr
from ..signal._validation import check_band, check_fs, is_flat

__all__ = ["BaseRPPG", "spatial_mean"]


def spatial_mean(X) -> np.ndarray:
    """Mean RGB trace of each clip: (n, T, 3) passes through, (n, T, H, W, 3) is averaged.

    Integer videos (8- and 16-bit) are summed exactly in integers, rows first (a fast,
    vectorised sum over the outer axis, in 32 bits for 8-bit frames), then divided once by
    ``H * W``: the same numbers, to the last bit, as ``np.mean(X, axis=(2, 3),
    dtype=np.float64)`` (whose float64 sums of integers are exact too), 10-30 times faster
    and without a float64 copy of the frames. Other dtypes are averaged by ``np.mean`` in
    float64. A new float64 array is always returned (the input is never written to).

    Parameters
    ----------
    X : array-like of shape (n_series, T, 3) or (n_clips, T, H, W, 3)
        RGB traces or video clips, integer or float dtype.

    Returns
    -------
    ndarray of shape (n_series, T, 3), float64

    Raises
    ------
    ValueError
        If ``X`` does not have one of the two shapes, is not real-valued, is empty or
        contains NaN or infinite values.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.baselines import spatial_mean
    >>> video = np.zeros((1, 4, 2, 2, 3), dtype=np.uint8)
    >>> video[..., 1] = 200
    >>> spatial_mean(video)[0, 0].tolist()
    [0.0, 200.0, 0.0]
    """
    arr = np.asarray(X)
    if arr.dtype.kind not in "iuf":
        raise ValueError(
            f"X must hold real RGB intensities (integer or float dtype); got dtype {arr.dtype}"
        )
    if arr.ndim not in (3, 5) or arr.shape[-1] != 3:
        raise ValueError(
            "X must be RGB traces of shape (n_series, T, 3) or video clips of shape "
            f"(n_clips, T, H, W, 3) with 3 colour channels last; got shape {arr.shape}"
        )
    if 0 in arr.shape:
        raise ValueError(f"X is empty: shape {arr.shape}; every axis needs at least one element")
    if arr.ndim == 5:
        rgb = _frame_means(arr)
    else:
        rgb = np.array(arr, dtype=np.float64, copy=True)
    # NaN and inf survive the spatial mean, so checking the traces checks the video too.
    if not np.all(np.isfinite(rgb)):
        n, t, c = (int(i) for i in np.argwhere(~np.isfinite(rgb))[0])
        raise ValueError(
            f"X contains NaN or infinite values (first in series {n}, frame {t}, channel {c});"
            " expected finite intensities"
        )
    return rgb


#: Integer dtypes summed exactly in integers by :func:`_frame_means`, with the accumulator
#: of the sum over rows: 8-bit values fit 2**32 / 255 = 16.8 M rows in 32 bits.
_ROW_SUM_DTYPES = {
    np.dtype(np.uint8): np.uint32,
    np.dtype(np.int8): np.int64,
    np.dtype(np.uint16): np.int64,
    np.dtype(np.int16): np.int64,
}


def _frame_means(video: np.ndarray) -> np.ndarray:
    """Mean over ``H, W`` of (n, T, H, W, C) frames, float64; exact sums for 8/16-bit ints.

    The float64 mean of integers sums exactly (every partial sum is an integer below 2**53)
    and divides once, so an exact integer sum divided by ``H * W`` is the same number. The
    sum over the rows (axis 2, an outer axis) is an element-wise, vectorised addition of
    whole rows; the sum over the columns then runs on ``H`` times less data.
    """
    acc = _ROW_SUM_DTYPES.get(video.dtype)
    height, width = video.shape[2:4]
    if acc is None or height >= 2**24:
        return np.mean(video, axis=(2, 3), dtype=np.float64)
    rows = np.add.reduce(video, axis=2, dtype=acc)
    return np.add.reduce(rows, axis=2, dtype=np.int64) / (height * width)


def _check_positive_number(value, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return float(value)


def _check_int(value, name: str, low: int, high: int | None = None) -> int:
    ok = isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an integer {allowed}; got {value!r}")
    return int(value)


class BaseRPPG(BaseEstimator):
    """Base class of the unsupervised rPPG estimators.

    Subclasses implement ``_extract(rgb, fs, band)`` mapping float64 mean-RGB traces of
    shape (m, T, 3) (already checked, no degenerate series) to waveforms (m, T). This class
    does the parameter and input validation, the spatial mean of videos, the handling of
    degenerate series (NaN with an :class:`~lqrppg.exceptions.EstimationWarning`) and the
    heart rate through :func:`lqrppg.signal.estimate_hr`.

    The methods learn nothing from data: ``fit`` only validates and returns ``self``,
    ``predict`` may be called without ``fit`` (the ``requires_fit`` tag is False) and no
    fitted attributes are set.

    Parameters
    ----------
    fs : float, default=30.0
        Frame rate in Hz.
    band : (float, float), default=(0.75, 2.5)
        Heart-rate band in Hz, ``0 < low < high < fs / 2``.

    Examples
    --------
    >>> from lqrppg.baselines import POS, BaseRPPG
    >>> isinstance(POS(), BaseRPPG)
    True
    """

    #: Channels the method reads (0=R, 1=G, 2=B); a flat one makes the series degenerate.
    _channels: tuple[int, ...] = (0, 1, 2)
    #: Whether the method divides by channel means (then intensities must be >= 0).
    _normalizes: bool = False

    def __init__(self, *, fs: float = 30.0, band=(0.75, 2.5)):
        self.fs = fs
        self.band = band

    # -- parameters -----------------------------------------------------------------
    def _check_params(self) -> tuple[float, tuple[float, float]]:
        """Validate the parameters; return ``(fs, band)`` as floats."""
        fs = check_fs(self.fs)
        band = check_band(self.band, fs)
        self._check_method_params(fs, band)
        return fs, band

    def _check_method_params(self, fs: float, band: tuple[float, float]) -> None:
        """Validate method-specific parameters (overridden where there are any)."""

    def _min_length(self, fs: float, band: tuple[float, float]) -> int:
        """Fewest frames the method needs (overridden by windowed or filtering methods)."""
        return 2

    # -- data -----------------------------------------------------------------------
    def _check_X(self, X, fs: float, band: tuple[float, float]) -> np.ndarray:
        rgb = spatial_mean(X)
        n_min = self._min_length(fs, band)
        if rgb.shape[1] < n_min:
            raise ValueError(
                f"X is too short for {type(self).__name__}: T={rgb.shape[1]} frames on axis 1,"
                f" at least {n_min} are needed{self._length_reason(fs, band)}"
            )
        if self._normalizes and np.any(rgb < 0):
            raise ValueError(
                f"{type(self).__name__} normalises each channel by its mean, so X must hold "
                "non-negative intensities; got negative values"
            )
        return rgb

    def _length_reason(self, fs: float, band: tuple[float, float]) -> str:
        return ""

    def _degenerate(self, rgb: np.ndarray) -> np.ndarray:
        """Series whose read channels are flat (dead, black or fully saturated)."""
        return np.any(is_flat(rgb[:, :, list(self._channels)], axis=1), axis=1)

    # -- estimator API --------------------------------------------------------------
    def fit(self, X, y=None):
        """Validate the parameters and ``X``; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_series, T, 3) or (n_clips, T, H, W, 3)
            Mean RGB traces or video clips (integer or float intensities).
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The estimator, unchanged.
        """
        fs, band = self._check_params()
        self._check_X(X, fs, band)
        return self

    def predict(self, X) -> np.ndarray:
        """Pulse waveform of each series or clip.

        Parameters
        ----------
        X : array-like of shape (n_series, T, 3) or (n_clips, T, H, W, 3)
            Mean RGB traces or video clips (integer or float intensities, channels in
            R, G, B order). Videos are averaged over ``H, W`` first.

        Returns
        -------
        ndarray of shape (n_series, T), float64
            The method's output signal as the publication defines it (see the class
            docstring for filtering and sign). A series on which the method cannot work
            (a flat channel, or a non-finite result) is all NaN, with an
            :class:`~lqrppg.exceptions.EstimationWarning`.
        """
        check_is_fitted(self)
        fs, band = self._check_params()
        rgb = self._check_X(X, fs, band)
        out = np.full(rgb.shape[:2], np.nan)
        bad = self._degenerate(rgb)
        if np.any(bad):
            _warn_rows(
                bad,
                type(self).__name__,
                "a colour channel it uses is constant (dead, black or saturated)",
            )
        ok = ~bad
        if np.any(ok):
            with np.errstate(divide="ignore", invalid="ignore"):
                out[ok] = self._extract(rgb[ok], fs, band)
        nonfinite = ok & ~np.all(np.isfinite(out), axis=1)
        if np.any(nonfinite):
            out[nonfinite] = np.nan
            _warn_rows(
                nonfinite,
                type(self).__name__,
                "the computation was undefined (e.g. a channel is zero over a window)",
            )
        return out

    def predict_hr(self, X) -> np.ndarray:
        """Heart rate of each series or clip, in beats per minute.

        The waveform from :meth:`predict` goes through :func:`lqrppg.signal.estimate_hr`
        (smoothness-priors detrend, lambda 100; first-order zero-phase Butterworth
        band-pass over ``band``; spectral peak inside ``band``).

        Parameters
        ----------
        X : array-like of shape (n_series, T, 3) or (n_clips, T, H, W, 3)
            Mean RGB traces or video clips.

        Returns
        -------
        ndarray of shape (n_series,), float64
            Heart rate in bpm; NaN, with an :class:`~lqrppg.exceptions.EstimationWarning`,
            where no estimate can be made.
        """
        wave = self.predict(X)
        fs, band = self._check_params()
        hr = np.full(wave.shape[0], np.nan)
        ok = np.all(np.isfinite(wave), axis=1)
        if np.any(ok):
            hr[ok] = estimate_hr(wave[ok], fs, band=band)
        return hr

    def _extract(
        self, rgb: np.ndarray, fs: float, band: tuple[float, float]
    ) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.positive_only = self._normalizes
        tags.target_tags.required = False
        return tags


def _warn_rows(mask: np.ndarray, method: str, reason: str) -> None:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in rows[:10]) + (", ..." if rows.size > 10 else "")
    warnings.warn(
        f"{method} cannot extract a pulse from series {shown}: {reason}; returned NaN",
        EstimationWarning,
        stacklevel=3,
    )
