"""Detrending, band-pass filtering and normalisation of 1-D signals."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import linalg, signal

from .._validation import check_choice, check_int
from ._validation import check_band, check_fs, check_signal

__all__ = [
    "CHAINS",
    "HR_BAND",
    "bandpass",
    "chain_gain",
    "chain_lambda",
    "chain_pass_band",
    "check_chain",
    "detrend",
    "diff_normalize",
    "filter_pulse",
    "standardize",
]

HR_BAND = (40.0 / 60.0, 180.0 / 60.0)
"""Default heart-rate band in Hz, ``(2/3, 3.0)``: 40-180 bpm.

Real resting rates go below 45 bpm (the oximetry_phone_cam windows reach 43.6 bpm; the
former 45-150 bpm band declined 3 of its 198 windows for GREEN, 4 with the robust chain,
none with 40-180), and
pulses up to 180 bpm were declined or read wrong above 150. The harmonic check of
:func:`hr_fft` makes the low edge safe. The cost, measured on synthetic videos with heart
rates of 45-150 bpm: fewer estimates reach :data:`MIN_SNR` (141 of 180 with mild motion,
157 with 45-150) and with moderate motion slow head motion lands in 40-45 bpm (6 of 91
estimates given were wrong, 2 of 102 with 45-150). See docs/benchmarks/hr_chain.md; narrow
``band`` when the rates to expect are known.
"""
CHAINS = ("robust", "toolbox")
"""HR chains: ``"robust"`` (the default) and ``"toolbox"`` (rPPG-Toolbox's evaluation)."""


def check_chain(chain) -> str:
    """Return ``chain`` if it names an HR chain, or raise ``ValueError``."""
    return check_choice(chain, "chain", CHAINS)


def chain_pass_band(band, fs: float, chain: str = "robust") -> tuple[float, float]:
    """Pass band (Hz) of the filter that precedes the HR search over ``band``.

    ``"toolbox"``: the search band itself (rPPG-Toolbox). ``"robust"``: the band's lower
    edge, and an octave above its upper edge (capped halfway between the upper edge and the
    Nyquist rate), so that the second harmonic of a pulse anywhere in the band passes. The
    lower edge stays where it is: below the band the spectrum of camera traces is dominated
    by motion and light changes, which the filter's roll-off keeps from the lowest rates of
    the band (widening it downwards made more synthetic videos with motion come out wrong);
    the attenuation it causes at the lower edge is undone where it matters, in the harmonic
    check (see :func:`hr_fft` and :func:`estimate_hr`).
    """
    fs = check_fs(fs)
    low, high = check_band(band, fs)
    if check_chain(chain) == "toolbox":
        return low, high
    return low, min(2.0 * high, 0.5 * (high + fs / 2.0))


def chain_lambda(detrend_lambda, band, fs: float, chain: str = "robust") -> float | None:
    """The detrending parameter of a chain (``"auto"`` resolved), or None for no detrending.

    ``"auto"``: for ``"toolbox"``, ``100 * (fs / 30) ** 2`` (rPPG-Toolbox's 100 at 30 Hz,
    the same cut-off frequency at any rate); for ``"robust"``, the lambda whose cut-off
    (half amplitude, ``fs / (2 pi sqrt(lambda))``) is an octave below the band's lower
    edge, so the detrender attenuates a pulse at that edge by 6 % only (rPPG-Toolbox's,
    at 0.48 Hz, by 21 % at 40 bpm).
    """
    if isinstance(detrend_lambda, str):
        if detrend_lambda != "auto":
            raise ValueError(
                f"detrend_lambda must be a positive number, 'auto' or None; got {detrend_lambda!r}"
            )
        if check_chain(chain) == "toolbox":
            return 100.0 * (fs / 30.0) ** 2
        f_cut = check_band(band, check_fs(fs))[0] / 2.0
        return (fs / (2.0 * np.pi * f_cut)) ** 2
    return detrend_lambda


def chain_gain(freqs, fs: float, pass_band, lam: float | None, order: int) -> np.ndarray:
    """Power gain of the detrend + zero-phase band-pass of a chain at ``freqs`` (Hz).

    The band-pass applied forwards and backwards has the power gain ``|H|**4`` of its
    Butterworth response ``H``; the smoothness-priors detrender the amplitude gain
    ``a / (1 + a)`` with ``a = lam**2 * (2 sin(pi f / fs))**4`` (the frequency response of
    ``I - (I + lam**2 D2'D2)**-1`` away from the ends), squared.
    """
    freqs = np.asarray(freqs, dtype=np.float64)
    sos = signal.butter(int(order), list(pass_band), btype="bandpass", fs=fs, output="sos")
    _, h = signal.sosfreqz(sos, worN=freqs, fs=fs)
    gain = np.abs(h) ** 4
    if lam is not None:
        a = lam**2 * (2.0 * np.sin(np.pi * freqs / fs)) ** 4
        gain = gain * (a / (1.0 + a)) ** 2
    return gain


@lru_cache(maxsize=32)
def _detrend_banded(n: int, lam: float) -> np.ndarray:
    """Upper banded form of ``I + lam**2 * D2.T @ D2`` for ``solveh_banded``.

    ``D2`` is the (n-2, n) second-difference operator. ``D2.T @ D2`` is pentadiagonal with
    a closed form, so the matrix is built in O(n) memory without forming it.
    """
    lam2 = lam * lam
    # Column sums of D2 products: each row [1, -2, 1] of D2 adds its outer product.
    rows = np.ones(n - 2)
    main = np.convolve(rows, [1.0, 4.0, 1.0])
    first = np.convolve(rows, [-2.0, -2.0])
    second = rows
    ab = np.zeros((3, n))
    ab[0, 2:] = lam2 * second
    ab[1, 1:] = lam2 * first
    ab[2, :] = 1.0 + lam2 * main
    ab.setflags(write=False)
    return ab


def detrend(x, lam: float = 100.0) -> np.ndarray:
    """Remove slow trends with the smoothness-priors method (Tarvainen et al. 2002).

    The trend is the solution of ``(I + lam**2 D2^T D2) trend = x`` with ``D2`` the second
    difference operator; the result is ``x - trend``. The system is symmetric positive
    definite and pentadiagonal, so it is solved as a banded system in time and memory
    linear in the signal length (no dense T x T matrix). This is the formulation used by
    rPPG-Toolbox (``lam`` enters squared), with ``lam=100`` as its default.

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
        Signal(s); filtering runs along the last axis. A signal of one or two samples is
        a straight line and detrends to zeros.
    lam : float, default=100.0
        Smoothing parameter (> 0). Larger values remove only slower trends.

    Returns
    -------
    ndarray of the same shape as ``x``, float64
        The detrended signal(s).

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import detrend
    >>> t = np.arange(300) / 30.0
    >>> x = np.sin(2 * np.pi * 1.2 * t) + 0.5 * t
    >>> y = detrend(x)
    >>> bool(abs(np.polyfit(t, y, 1)[0]) < 1e-3)
    True
    """
    arr = check_signal(x, min_length=1)
    if isinstance(lam, bool) or not np.isscalar(lam) or not np.isfinite(lam) or lam <= 0:
        raise ValueError(f"lam must be a positive finite number; got {lam!r}")
    n = arr.shape[-1]
    if n < 3:
        # Every sequence of one or two samples is a straight line: all of it is trend.
        return np.zeros_like(arr)
    ab = _detrend_banded(n, float(lam))
    rhs = arr.T  # (T,) or (T, n_signals); solveh_banded does not overwrite by default
    trend = linalg.solveh_banded(ab, rhs, check_finite=False)
    return arr - trend.T


def _padlen(sos: np.ndarray) -> int:
    # scipy's default padlen for sosfiltfilt (the same as filtfilt's for b, a of one section)
    n_zeros = min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * (2 * len(sos) + 1 - n_zeros)


#: Lowest band edge, relative to the Nyquist rate, that :func:`bandpass` designs a filter for
#: (at 1e-9 scipy's filter initial conditions are a singular system: LinAlgError).
_MIN_RELATIVE_EDGE = 1e-6


def bandpass(x, fs: float, band=(0.75, 2.5), order: int = 1) -> np.ndarray:
    """Zero-phase Butterworth band-pass filter along the last axis.

    A Butterworth band-pass of the given ``order`` is applied forwards and backwards
    (second-order sections, odd padding as in ``scipy.signal.filtfilt``), so the phase is
    preserved and the magnitude response is squared. ``order=1`` is the rPPG-Toolbox
    evaluation filter.

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
        Signal(s).
    fs : float
        Sampling rate in Hz.
    band : (float, float), default=(0.75, 2.5)
        Pass band in Hz, ``0 < low < high < fs / 2`` (0.75-2.5 Hz is 45-150 bpm).
    order : int, default=1
        Butterworth order (the band-pass has twice as many poles).

    Returns
    -------
    ndarray of the same shape as ``x``, float64

    Raises
    ------
    ValueError
        If the signal is shorter than the filter's padding (``3 * (2 * order + 1)`` samples
        plus one) or a parameter is invalid.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import bandpass
    >>> t = np.arange(600) / 30.0
    >>> x = np.sin(2 * np.pi * 1.5 * t) + np.sin(2 * np.pi * 8.0 * t)
    >>> y = bandpass(x, fs=30.0)
    >>> bool(np.std(y[100:-100] - np.sin(2 * np.pi * 1.5 * t[100:-100])) < 0.2)
    True
    """
    fs = check_fs(fs)
    low, high = check_band(band, fs)
    order = check_int(order, "order", 1, expected="a positive integer")
    if low < _MIN_RELATIVE_EDGE * fs / 2:
        raise ValueError(
            f"fs={fs:g} Hz is too high for a band-pass from {low:g} Hz: the band's lower edge "
            f"is below {_MIN_RELATIVE_EDGE:g} of the Nyquist rate, where the Butterworth "
            "filter's equations are numerically singular (a heart rate needs no more than "
            "a few hundred Hz); resample the signal to a lower rate first"
        )
    sos = signal.butter(int(order), [low, high], btype="bandpass", fs=fs, output="sos")
    padlen = _padlen(sos)
    arr = check_signal(x, min_length=padlen + 1)
    return signal.sosfiltfilt(sos, arr, axis=-1, padlen=padlen)


def filter_pulse(
    x,
    fs: float,
    *,
    band=HR_BAND,
    detrend_lambda: float | str | None = "auto",
    order: int = 1,
    chain: str = "robust",
) -> np.ndarray:
    """Detrend and band-pass a pulse waveform: the filtering step of :func:`estimate_hr`.

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
    fs : float
        Sampling rate in Hz.
    band : (float, float), default=HR_BAND
        Heart-rate band in Hz (40-180 bpm by default, see :data:`HR_BAND`). The filter's
        pass band is this band for ``chain="toolbox"``; for ``chain="robust"`` its upper
        edge is an octave higher (see Notes).
    detrend_lambda : float, "auto" or None, default="auto"
        Smoothness-priors parameter of :func:`detrend`; None skips detrending. ``"auto"``:
        for ``"toolbox"``, ``100 * (fs / 30) ** 2`` (rPPG-Toolbox's 100 at 30 Hz, the same
        cut-off at any rate); for ``"robust"``, the lambda whose cut-off is an octave below
        the band's lower edge.
    order : int, default=1
        Butterworth order of :func:`bandpass`.
    chain : {"robust", "toolbox"}, default="robust"
        ``"toolbox"`` is rPPG-Toolbox's evaluation filter (for comparison with published
        numbers).

    Returns
    -------
    ndarray of the shape of ``x``, float64

    Notes
    -----
    The first-order zero-phase band-pass halves the amplitude at its edges. With the
    toolbox chain, the second harmonic of a pulse near the upper edge is cut, and a pulse
    just above the lower edge with a strong dicrotic wave (hence a strong second harmonic)
    has more power at twice its rate than at its rate. The robust chain's pass band reaches
    an octave above the band, so harmonics pass; at the lower edge the pulse is still
    attenuated (to 0.47 of its amplitude at 40 bpm), and :func:`estimate_hr` undoes that
    attenuation in its harmonic check rather than widening the filter, which would let in
    the motion and light changes that dominate camera traces below the band.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import filter_pulse
    >>> t = np.arange(600) / 30.0
    >>> y = filter_pulse(np.sin(2 * np.pi * 1.2 * t) + 0.5 * t, 30.0)
    >>> bool(abs(y.mean()) < 0.05 and 0.55 < y.std() < 0.75)
    True
    """
    fs = check_fs(fs)
    lam = chain_lambda(detrend_lambda, band, fs, chain)
    pass_band = chain_pass_band(band, fs, chain)
    out = x if lam is None else detrend(x, lam=lam)
    return bandpass(out, fs, band=pass_band, order=order)


def standardize(x) -> np.ndarray:
    """Z-score each signal along the last axis (zero mean, unit standard deviation).

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)

    Returns
    -------
    ndarray of the same shape as ``x``, float64

    Raises
    ------
    ValueError
        If a signal is constant (its standard deviation is zero), since it cannot be
        scaled to unit variance.

    Examples
    --------
    >>> from lqrppg.signal import standardize
    >>> standardize([1.0, 2.0, 3.0]).round(4).tolist()
    [-1.2247, 0.0, 1.2247]
    """
    arr = check_signal(x)
    mean = arr.mean(axis=-1, keepdims=True)
    centred = arr - mean
    std = np.sqrt(np.mean(centred * centred, axis=-1, keepdims=True))
    _check_not_flat(std, arr, "standardize")
    return centred / std


def diff_normalize(x) -> np.ndarray:
    """First difference divided by its standard deviation, padded to keep the length.

    This is the 'DiffNormalized' label transform of rPPG-Toolbox: ``d = diff(x)``,
    ``d / std(d)``, with a zero appended so the output has ``T`` samples like the input
    (the last sample carries no information).

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
        ``T >= 3``.

    Returns
    -------
    ndarray of the same shape as ``x``, float64

    Raises
    ------
    ValueError
        If a signal's first difference is constant (the signal is a straight line).

    Examples
    --------
    >>> from lqrppg.signal import diff_normalize
    >>> diff_normalize([0.0, 1.0, 0.0, 1.0]).round(4).tolist()
    [1.0607, -1.0607, 1.0607, 0.0]
    """
    arr = check_signal(x, min_length=3)
    d = np.diff(arr, axis=-1)
    std = d.std(axis=-1, keepdims=True)
    _check_not_flat(std, arr, "diff_normalize (its first difference)")
    out = np.zeros_like(arr)
    out[..., :-1] = d / std
    return out


def _check_not_flat(std: np.ndarray, arr: np.ndarray, what: str) -> None:
    # A relative threshold: a signal whose spread is at round-off level of its values is flat.
    scale = np.max(np.abs(arr), axis=-1, keepdims=True)
    flat = std <= 1e-12 * np.maximum(scale, 1e-300)
    if np.any(flat):
        rows = np.flatnonzero(flat.ravel())
        where = "the signal" if arr.ndim == 1 else f"signal(s) {rows[:10].tolist()}"
        raise ValueError(
            f"{what}: {where} is constant (zero standard deviation); a non-constant signal "
            "is needed"
        )
