"""Shared machinery of the unsupervised rPPG baselines: input checks, spatial mean, HR."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validation import Options, check_clips, check_params
from ..exceptions import EstimationWarning
from ..signal import HR_BAND, HREstimate, estimate_hr
from ..signal._filters import CHAINS, chain_pass_band
from ..signal._validation import check_band, check_fs, is_flat

__all__ = ["BaseRPPG", "channel_problems", "spatial_mean"]

#: Colour channels in the order of the last axis.
CHANNEL_NAMES = ("red", "green", "blue")
#: Upper rails of common sensor ranges: a normalised image, 8, 10, 12 and 16 bits.
_TOP_RAILS = (1.0, 255.0, 1023.0, 4095.0, 65535.0)
#: A trace is clipped when at least this share of its frames sit on a rail.
_CLIP_FRACTION = 0.1
#: A video channel is clipped when at least this share of its pixel values are saturated.
_PIXEL_CLIP_FRACTION = 0.5


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
    arr = check_clips(X, finite=False, traces=True)  # finiteness: on the traces, below
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


def _saturation(X) -> np.ndarray | None:
    """Share of the pixel values of each clip and channel at the top of the dtype's range.

    Only for integer videos (n, T, H, W, 3): (n, 3) floats; None for traces and float
    videos, whose range is not known.
    """
    arr = np.asarray(X)
    if arr.ndim != 5 or arr.dtype.kind not in "iu":
        return None
    top = np.iinfo(arr.dtype).max
    if arr.dtype == np.uint16 and arr.max() <= 4095:
        top = 1023 if arr.max() <= 1023 else 4095  # 10- or 12-bit data stored in 16 bits
    return np.stack([np.mean(arr[..., c] == top, axis=(1, 2, 3)) for c in range(3)], axis=1)


def _problems(rgb: np.ndarray, saturation: np.ndarray | None) -> np.ndarray:
    """(n, 3) descriptions of what is wrong with each trace's channels ('' where nothing)."""
    n = rgb.shape[0]
    out = np.full((n, 3), "", dtype=object)
    flat = is_flat(rgb, axis=1)
    for i in range(n):
        for c in range(3):
            x = rgb[i, :, c]
            if flat[i, c]:
                out[i, c] = f"the {CHANNEL_NAMES[c]} channel is constant (dead, black or saturated)"
                continue
            if saturation is not None and saturation[i, c] >= _PIXEL_CLIP_FRACTION:
                out[i, c] = (
                    f"the {CHANNEL_NAMES[c]} channel is clipped ({100 * saturation[i, c]:.0f} % "
                    "of its pixel values saturated)"
                )
                continue
            lo, hi = x.min(), x.max()
            at_lo = np.mean(x == lo) if lo == 0 else 0.0
            at_hi = np.mean(x == hi) if hi in _TOP_RAILS else 0.0
            if max(at_lo, at_hi) >= _CLIP_FRACTION:
                rail, share = (lo, at_lo) if at_lo >= at_hi else (hi, at_hi)
                out[i, c] = (
                    f"the {CHANNEL_NAMES[c]} channel is clipped ({100 * share:.0f} % of the "
                    f"frames at {rail:g})"
                )
    return out


def channel_problems(X) -> np.ndarray:
    """What is wrong with each colour channel of each trace or clip, if anything.

    A channel is **constant** when it does not vary beyond round-off (a dead, black or fully
    saturated channel) and **clipped** when at least 10 % of its frames sit on a rail of
    the sensor range (at 0, or at a maximum of 1, 255, 1023, 4095 or 65535) or, for integer
    videos, when at least half of its pixel values are saturated (at the top of the dtype's
    range; 1023 or 4095 for 10- and 12-bit data stored as uint16). A clipped channel has
    lost the peaks (or troughs) of its pulse, which distorts the waveform and moves its
    spectral power to the harmonics. The unsupervised methods decline a series where a
    channel they use has either problem (NaN, with the reason in an
    :class:`~lqrppg.exceptions.EstimationWarning`); :class:`Auto` uses the channels and
    methods that remain.

    Parameters
    ----------
    X : array-like of shape (n_series, T, 3) or (n_clips, T, H, W, 3)

    Returns
    -------
    ndarray of shape (n_series, 3), dtype object
        One string per series and channel (red, green, blue): empty where the channel is
        usable, else the problem.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.baselines import channel_problems
    >>> rgb = np.random.default_rng(0).uniform(50, 200, (1, 100, 3))
    >>> rgb[0, :, 1] = 0.0
    >>> rgb[0, :30, 0] = 255.0
    >>> for problem in channel_problems(rgb)[0]:
    ...     print(problem or "usable")
    the red channel is clipped (30 % of the frames at 255)
    the green channel is constant (dead, black or saturated)
    usable
    """
    return _problems(spatial_mean(X), _saturation(X))


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


class BaseRPPG(BaseEstimator):
    """Base class of the unsupervised rPPG estimators.

    Subclasses implement ``_extract(rgb, fs, band)`` mapping float64 mean-RGB traces of
    shape (m, T, 3) (already checked, no unusable series) to waveforms (m, T). This class
    does the parameter and input validation, the spatial mean of videos, the handling of
    series it cannot use (a constant or clipped channel among those the method reads, see
    :func:`channel_problems`: NaN with an :class:`~lqrppg.exceptions.EstimationWarning`
    naming the reason) and the heart rate with its quality through
    :func:`lqrppg.signal.estimate_hr`.

    The methods learn nothing from data: ``fit`` only validates and returns ``self``,
    ``predict`` may be called without ``fit`` (the ``requires_fit`` tag is False) and no
    fitted attributes are set.

    Parameters
    ----------
    fs : float, default=30.0
        Frame rate in Hz.
    band : (float, float), default=HR_BAND
        Heart-rate band in Hz, ``0 < low < high < fs / 2`` (40-180 bpm by default, see
        :data:`lqrppg.signal.HR_BAND`).
    chain : {"robust", "toolbox"}, default="robust"
        HR chain of :func:`lqrppg.signal.estimate_hr`; methods that band-pass inside (CHROM,
        ICA, PBV's signature) use the chain's pass band too, so ``"toolbox"`` gives
        rPPG-Toolbox's processing throughout.

    Examples
    --------
    >>> from lqrppg.baselines import POS, BaseRPPG
    >>> isinstance(POS(), BaseRPPG)
    True
    """

    #: Channels the method reads (0=R, 1=G, 2=B); a constant or clipped one makes the
    #: series unusable.
    _channels: tuple[int, ...] = (0, 1, 2)
    #: Whether the method divides by channel means (then intensities must be >= 0).
    _normalizes: bool = False
    #: The parameters each of which is checked alone (see :func:`lqrppg._validation.check_params`);
    #: subclasses add theirs with ``{**BaseRPPG._parameter_constraints, ...}``. ``fs`` and
    #: ``band`` (which depends on ``fs``) are checked by the signal package's checks.
    _parameter_constraints: ClassVar[dict[str, Any]] = {"chain": Options(CHAINS)}

    def __init__(self, *, fs: float = 30.0, band=HR_BAND, chain: str = "robust"):
        self.fs = fs
        self.band = band
        self.chain = chain

    # -- parameters -----------------------------------------------------------------
    def _check_params(self) -> tuple[float, tuple[float, float]]:
        """Validate the parameters; return ``(fs, band)`` as floats."""
        fs = check_fs(self.fs)
        band = check_band(self.band, fs)
        check_params(self, self._parameter_constraints)
        self._check_method_params(fs, band)
        return fs, band

    def _check_method_params(self, fs: float, band: tuple[float, float]) -> None:
        """Checks that relate parameters to each other or to ``fs`` (overridden where any)."""

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

    def _unusable(self, problems: np.ndarray) -> np.ndarray:
        """Per series, the first problem of a channel the method reads ('' if none)."""
        out = np.full(problems.shape[0], "", dtype=object)
        for c in reversed(self._channels):
            has = problems[:, c] != ""
            out[has] = problems[has, c]
        return out

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

    def _predict(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Waveforms (n, T) and, per series, why there is none ('' where there is one)."""
        check_is_fitted(self)
        fs, band = self._check_params()
        rgb = self._check_X(X, fs, band)
        return self._predict_traces(rgb, _problems(rgb, _saturation(X)), fs, band)

    def _predict_traces(self, rgb, problems, fs, band) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_predict` on checked traces and their :func:`channel_problems`."""
        out = np.full(rgb.shape[:2], np.nan)
        reasons = self._unusable(problems)
        bad = reasons != ""
        for reason in dict.fromkeys(reasons[bad]):
            _warn_rows(reasons == reason, type(self).__name__, reason)
        ok = ~bad
        if np.any(ok):
            with np.errstate(divide="ignore", invalid="ignore"):
                out[ok] = self._extract(rgb[ok], fs, band)
        nonfinite = ok & ~np.all(np.isfinite(out), axis=1)
        if np.any(nonfinite):
            out[nonfinite] = np.nan
            reason = "the computation was undefined (e.g. a channel is zero over a window)"
            reasons[nonfinite] = reason
            _warn_rows(nonfinite, type(self).__name__, reason)
        return out, reasons

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
            (a constant or clipped channel it reads, or a non-finite result) is all NaN,
            with an :class:`~lqrppg.exceptions.EstimationWarning` that says why.
        """
        return self._predict(X)[0]

    def predict_quality(self, X) -> HREstimate:
        """Heart rate of each series or clip with its SNR and confidence label.

        The waveform from :meth:`predict` goes through
        :func:`lqrppg.signal.estimate_hr` with ``return_quality=True`` (detrend, band-pass,
        spectral peak inside ``band`` with the harmonic check, as ``chain`` says).

        Parameters
        ----------
        X : array-like of shape (n_series, T, 3) or (n_clips, T, H, W, 3)
            Mean RGB traces or video clips.

        Returns
        -------
        HREstimate
            Fields of shape (n_series,): ``hr`` (bpm, NaN where there is no estimate, with
            an :class:`~lqrppg.exceptions.EstimationWarning`), ``snr`` (dB),
            ``confidence`` and ``reason`` (why there is no estimate, e.g. which channel is
            unusable). Use ``.reliable()`` or ``.gated()`` to keep only the estimates above
            :data:`lqrppg.signal.MIN_SNR`.
        """
        wave, reasons = self._predict(X)
        fs, band = self._check_params()
        n = wave.shape[0]
        hr, s = np.full(n, np.nan), np.full(n, np.nan)
        conf = np.full(n, "none", dtype=object)
        ok = reasons == ""
        if np.any(ok):
            est = estimate_hr(wave[ok], fs, band=band, chain=self.chain, return_quality=True)
            hr[ok], s[ok], conf[ok], reasons[ok] = est
        return HREstimate(hr, s, conf, reasons)

    def predict_hr(self, X) -> np.ndarray:
        """Heart rate of each series or clip, in beats per minute.

        The ``hr`` of :meth:`predict_quality`: the waveform from :meth:`predict` through
        :func:`lqrppg.signal.estimate_hr`.

        Parameters
        ----------
        X : array-like of shape (n_series, T, 3) or (n_clips, T, H, W, 3)
            Mean RGB traces or video clips.

        Returns
        -------
        ndarray of shape (n_series,), float64
            Heart rate in bpm; NaN, with an :class:`~lqrppg.exceptions.EstimationWarning`,
            where no estimate can be made. Low-quality estimates are numbers too: see
            :meth:`predict_quality`.
        """
        return self.predict_quality(X).hr

    def _pass_band(self, fs: float, band: tuple[float, float]) -> tuple[float, float]:
        """Pass band of the band-pass filters inside a method (CHROM, ICA, PBV's signature).

        ``band`` with ``chain="toolbox"``; with ``"robust"``, the chain's pass band (an
        octave above the band) reaching an octave below the band too: these filters are
        steep (order 3), and the evaluation's correction of the attenuation at the band's
        lower edge knows nothing of them.
        """
        lo, hi = chain_pass_band(band, fs, self.chain)
        return (lo / 2.0, hi) if self.chain == "robust" else (lo, hi)

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
