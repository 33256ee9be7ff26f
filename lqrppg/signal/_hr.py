"""Heart rate from pulse waveforms: spectral peak, inter-beat intervals, windows, SNR, quality."""

from __future__ import annotations

import math
import warnings
from typing import Any, NamedTuple

import numpy as np
from scipy import signal

from .._validation import check_choice, check_int
from ..exceptions import EstimationWarning
from ._filters import (
    HR_BAND,
    bandpass,
    chain_gain,
    chain_lambda,
    chain_pass_band,
    check_chain,
    detrend,
)
from ._validation import check_band, check_fs, check_signal, is_flat

__all__ = [
    "CONFIDENCE_THRESHOLDS",
    "MIN_SNR",
    "HREstimate",
    "confidence_label",
    "estimate_hr",
    "hr_fft",
    "hr_peaks",
    "hr_windowed",
    "snr",
]

_HR_METHODS = ("fft", "peaks")
_MIN_BAND_FRACTION = 1e-6
#: Spacing (Hz) of the zero-padded spectra of the robust chain and of ``snr``: 0.5 bpm.
_RESOLUTION_HZ = 1.0 / 120.0
#: A spectral maximum is read as a harmonic when a peak at half (a third of) its frequency
#: holds at least this share of its power (and more than the spectrum at twice it).
_HALF_MIN_RATIO = 0.25
_BELOW_FLOOR = 0.7
_GAIN_FLOOR = 0.05
#: SNRs are kept within +-120 dB: a floor of 1e-12 of the signal's power on either part.
_SNR_FLOOR = 1e-12
#: Most power the second-harmonic window of ``snr`` counts, relative to the first window's:
#: a harmonic 1.5 times the fundamental's amplitude (a strong dicrotic wave).
_HARMONIC_CAP = 2.25

CONFIDENCE_THRESHOLDS = ((5.0, "high"), (0.0, "medium"))
"""(lowest SNR in dB, label) pairs, best first: ``high`` from 5 dB, ``medium`` from 0 dB."""
MIN_SNR = CONFIDENCE_THRESHOLDS[-1][0]
"""SNR (dB) below which a heart rate is not reliable: 0 dB, the default of ``--min-snr``.

The SNR is that of the filtered waveform around the estimate (:func:`snr`). 0 dB is chance
level: on white noise, windows of 2, 10 and 30 s reach it in at most 0.1 % of cases
(docs/benchmarks/hr_chain.md); on the 198 30-s oximetry_phone_cam windows no estimate of
any method at or above it is more than 25 % off the oximeter
(docs/benchmarks/oximetry_phone_cam.md); on the real skin patches of bias_eval_rppg_dev no
whole-recording estimate reaches it (docs/benchmarks/real_skin.md).
"""


def _next_pow2(n: int) -> int:
    return 1 << (int(n) - 1).bit_length()


def _dense_nfft(n: int, fs: float, resolution: float = _RESOLUTION_HZ) -> int:
    """FFT length giving spectral samples at most ``resolution`` Hz apart (and >= n)."""
    return _next_pow2(max(n, math.ceil(fs / resolution)))


def _check_nfft(nfft, n: int, fs: float) -> int:
    if nfft is None:
        return _dense_nfft(n, fs)
    return check_int(nfft, "nfft", n, expected=f"an integer >= the signal length {n}")


def _check_bool(value, name: str) -> bool:
    if value not in (True, False):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _warn_nan(n_bad: int, n_total: int, reason: str) -> None:
    what = "the signal" if n_total == 1 else f"{n_bad} of {n_total} signals"
    warnings.warn(
        f"heart rate could not be estimated for {what}: {reason}; returned NaN",
        EstimationWarning,
        stacklevel=3,
    )


def _warn_reasons(reasons: np.ndarray) -> None:
    """One warning per distinct reason of the rows that got no estimate."""
    for reason in dict.fromkeys(r for r in reasons if r):
        _warn_nan(int(np.sum(reasons == reason)), reasons.size, reason)


def _dtft_power(rows: np.ndarray, freqs: np.ndarray, fs: float) -> np.ndarray:
    """|DTFT|^2 of each row at its own frequencies: rows (m, T), freqs (m, k) -> (m, k)."""
    t = np.arange(rows.shape[-1]) / fs
    out = np.empty(freqs.shape)
    # Rows in blocks so the (block, k, T) complex kernel stays around 32 MB.
    block = max(1, 2_000_000 // (freqs.shape[1] * rows.shape[-1]))
    for start in range(0, rows.shape[0], block):
        sl = slice(start, start + block)
        phase = np.exp(-2j * np.pi * freqs[sl, :, None] * t[None, None, :])
        out[sl] = np.abs(np.einsum("mkt,mt->mk", phase, rows[sl])) ** 2
    return out


def _no_peak_in_band(pxx: np.ndarray, in_band: np.ndarray) -> np.ndarray:
    """Rows whose band holds no peak of its own, only leakage from outside it.

    Decided on a Hann-tapered periodogram ``pxx``: the untapered one leaks side lobes of a
    strong component outside the band into it, and a side lobe can be the in-band maximum.
    With the taper, leakage falls steeply away from its source. The band holds no peak when
    its maximum sits at an edge with more power just beyond it, or when it holds less than
    a millionth (-60 dB) of the signal's power.
    """
    sub = pxx[:, in_band]
    # Tapered leakage from outside the band is 60 dB or more below its source within a few
    # bins; a band holding less than a millionth of the power holds only that leakage.
    leakage_only = sub.sum(axis=1) < _MIN_BAND_FRACTION * pxx.sum(axis=1)
    k = np.argmax(sub, axis=1)
    idx = np.arange(pxx.shape[0])
    out = np.zeros(pxx.shape[0], dtype=bool)
    first, last = in_band[0], in_band[-1]
    if first > 0:
        low_edge = k == 0
        out[low_edge] = pxx[idx[low_edge], first - 1] > sub[idx[low_edge], 0]
    if last < pxx.shape[1] - 1:
        high_edge = k == in_band.size - 1
        out[high_edge] = pxx[idx[high_edge], last + 1] > sub[idx[high_edge], -1]
    return out | leakage_only


def _local_max(p: np.ndarray, lo: int, hi: int) -> int:
    """Index of the largest local maximum of ``p`` within bins [lo, hi], or -1."""
    lo, hi = max(lo, 1), min(hi, p.size - 2)
    if hi < lo:
        return -1
    seg = p[lo : hi + 1]
    is_max = (seg >= p[lo - 1 : hi]) & (seg >= p[lo + 1 : hi + 2])
    if not is_max.any():
        return -1
    cand = np.flatnonzero(is_max)
    return lo + int(cand[np.argmax(seg[cand])])


def _fundamental_bins(
    pxx: np.ndarray, peak_bin: np.ndarray, df: float, n: int, fs: float, band, gain=None
) -> np.ndarray:
    """Bin of the fundamental for each row whose spectral maximum is one of its harmonics.

    ``pxx`` is the Hann-tapered periodogram (bins ``df`` Hz apart) and ``peak_bin`` the bin
    of each row's maximum inside the band. The maximum at ``f`` is taken for the second
    harmonic of a pulse at ``f / 2`` when the spectrum has a local peak within a tolerance
    of ``f / 2`` (half a resolution cell ``fs / n`` or 3 % of ``f / 2``, whichever is wider)
    that lies in the band, holds at least :data:`_HALF_MIN_RATIO` of the maximum's power,
    and more power than the spectrum holds around ``2 f`` (the harmonic sums then favour
    ``f / 2``: ``P(f/2) + P(f) > P(f) + P(2f)``); failing that, for the third harmonic of
    a pulse at ``f / 3`` when there are such peaks at ``f / 3`` and at ``2 f / 3`` (its
    second harmonic), or a peak at ``f / 3`` with more power than the maximum once the
    filter's attenuation is undone. Returns -1 where the maximum stands, -2 where it is the second
    harmonic of a pulse just below the band (down to 0.7 times its lower edge). With
    ``gain`` (the power gain of the filtering the signal went through, per bin) powers in
    the band are compared as they were before filtering.
    """
    out = np.full(pxx.shape[0], -1)
    # Peaks are located on the spectrum as it is (dividing by the gain would move them) and
    # compared as they were before filtering. Below the band the attenuation is not undone:
    # there it also damps the motion and light changes that dominate camera traces, which
    # the correction would blow up into 'fundamentals'.
    power = pxx if gain is None else pxx / np.maximum(gain, _GAIN_FLOOR)
    low, high = band
    cell = fs / n

    def peak_near(p, f):
        tol = max(0.5 * cell, 0.03 * f)
        return _local_max(p, math.ceil((f - tol) / df), math.floor((f + tol) / df)), tol

    for r in range(pxx.shape[0]):
        p = pxx[r]
        k = int(peak_bin[r])
        f = k * df
        for m in (2, 3):
            k_sub, tol = peak_near(p, f / m)
            if k_sub < 0 or k_sub * df > high or k_sub * df < _BELOW_FLOOR * low:
                continue
            below = k_sub * df < low
            if below and m == 3:
                continue
            q = pxx[r] if below else power[r]
            top = q[max(k - 2, 0) : k + 3].max()  # the tapered peak may sit a bin aside
            lo2, hi2 = math.ceil((2 * f - 2 * tol) / df), math.floor((2 * f + 2 * tol) / df)
            p_double = q[max(lo2, 0) : min(hi2, p.size - 1) + 1].max(initial=0.0)
            if not (q[k_sub] >= _HALF_MIN_RATIO * top and q[k_sub] > p_double):
                continue
            if m == 3 and q[k_sub] < top:
                # Unless it outweighs the maximum once the filter is undone, a fundamental
                # at f / 3 needs its second harmonic (2 f / 3) too.
                k_two, _ = peak_near(p, 2 * f / 3)
                if k_two < 0 or q[k_two] < _HALF_MIN_RATIO * top:
                    continue
            out[r] = -2 if below else k_sub
            break
    return out


def _hr_fft_rows(rows, fs, band, nfft, interpolate, harmonic_check, filtering=None):
    """Spectral HR of checked rows: (hr in bpm, reasons), reasons '' where estimated.

    ``filtering``: (pass band, lambda, order) of the filtering the rows went through, whose
    gain the harmonic check undoes; None for rows taken as they are.
    """
    low, high = band
    n = rows.shape[-1]
    flat = is_flat(rows)
    rows = rows - rows.mean(axis=-1, keepdims=True)  # the mean carries no pulse, only leakage
    freqs, pxx = signal.periodogram(rows, fs=fs, nfft=nfft, detrend=False, axis=-1)
    in_band = np.flatnonzero((freqs >= low) & (freqs <= high))
    if in_band.size == 0:
        raise ValueError(
            f"band ({low:g}, {high:g}) Hz holds no FFT bin at nfft={nfft}, fs={fs:g}; "
            "use a wider band or a larger nfft"
        )
    _, tapered = signal.periodogram(rows, fs=fs, window="hann", nfft=nfft, detrend=False, axis=-1)
    peak_bin = in_band[np.argmax(pxx[:, in_band], axis=1)]
    rising_out = _no_peak_in_band(tapered, in_band)
    ok = ~flat
    below_band = np.zeros(rows.shape[0], dtype=bool)
    if harmonic_check and np.any(ok):
        sel = np.flatnonzero(ok)
        gain = None if filtering is None else chain_gain(freqs, fs, *filtering)
        fund = _fundamental_bins(tapered[sel], peak_bin[sel], freqs[1], n, fs, (low, high), gain)
        halved = fund >= 0
        peak_bin[sel[halved]] = fund[halved]
        # A maximum at the band's top edge that is the harmonic of a pulse inside the band
        # (its lobe reaching past the edge) is not a peak outside the band.
        rising_out[sel[halved]] = False
        below_band[sel[fund == -2]] = True

    f_peak = freqs[peak_bin].astype(np.float64)
    outside = rising_out & ok
    if interpolate and np.any(ok):
        # Refine on the DTFT around the peak bin, reaching one bin past the band edges, so
        # the peak of a pulse near an edge is located rather than taken as the edge bin.
        df = fs / nfft
        offsets = np.linspace(-df, df, 33)
        grid = f_peak[ok, None] + offsets[None, :]
        power = _dtft_power(rows[ok], grid, fs)
        j = np.argmax(power, axis=1)
        r = np.arange(j.size)
        jc = np.clip(j, 1, offsets.size - 2)
        y0, y1, y2 = power[r, jc - 1], power[r, jc], power[r, jc + 1]
        denom = y0 - 2 * y1 + y2
        safe = np.where(denom < 0, denom, -1.0)
        shift = np.where((denom < 0) & (j == jc), 0.5 * (y0 - y2) / safe, 0.0)
        refined = grid[r, jc] + shift * (offsets[1] - offsets[0])
        f_peak[ok] = refined
        outside[ok] |= (refined < low) | (refined > high)
    below_band &= ok & ~outside
    ok &= ~outside & ~below_band
    hr = np.full(rows.shape[0], np.nan)
    hr[ok] = 60.0 * f_peak[ok]
    reasons = np.full(rows.shape[0], "", dtype=object)
    reasons[flat] = "the signal is flat (no variation)"
    reasons[outside] = (
        f"the spectral maximum lies outside the band ({60 * low:g}-{60 * high:g} bpm)"
    )
    reasons[below_band] = (
        f"the spectral maximum is the second harmonic of a pulse below the band ({60 * low:g} bpm)"
    )
    return hr, reasons


def hr_fft(
    x,
    fs: float,
    band=HR_BAND,
    *,
    nfft=None,
    interpolate: bool = True,
    harmonic_check: bool = True,
):
    """Heart rate (bpm) as the frequency of the spectral peak inside ``band``.

    The periodogram is computed with the FFT zero-padded to ``nfft`` points and its maximum
    inside ``band`` is taken. With ``harmonic_check=True`` a maximum that is the second (or
    third) harmonic of a pulse in the band is replaced by that pulse's fundamental (see
    Notes).
    With ``interpolate=True`` the peak is then refined between the neighbouring FFT bins by
    evaluating the signal's discrete-time Fourier transform on a fine grid (1/16 of a bin)
    and fitting a parabola through the three grid points around its maximum.

    The signal is used as given: detrend and band-pass it first (or use
    :func:`estimate_hr`, which does).

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
    fs : float
        Sampling rate in Hz.
    band : (float, float), default=HR_BAND
        Search band in Hz (40-180 bpm by default, see :data:`HR_BAND`).
    nfft : int, optional
        FFT length (>= T). Default: the next power of two of T or of the length that puts
        spectral samples 0.5 bpm apart, whichever is larger (rPPG-Toolbox uses the next
        power of two of T; :func:`estimate_hr` with ``chain="toolbox"`` does too).
    interpolate : bool, default=True
        Refine the peak between FFT bins.
    harmonic_check : bool, default=True
        Return the fundamental where the spectral maximum is its second or third harmonic
        (see Notes).

    Returns
    -------
    float or ndarray of shape (n_signals,)
        Heart rate in beats per minute. NaN, with an
        :class:`~lqrppg.exceptions.EstimationWarning`, for a flat signal or when the
        spectral peak lies outside the band (the maximum inside the band is then at an
        edge with more power beyond it, and the edge is not an estimate).

    Notes
    -----
    The mean of each signal is removed first. The peak is located on the untapered
    periodogram, as rPPG-Toolbox does. Whether the band holds a peak at all is decided on a
    Hann-tapered periodogram: without a taper, side lobes of a strong component outside
    the band leak into it and one of them would otherwise be returned as the heart rate.
    There is no peak when the tapered in-band maximum lies at an edge with more power just
    beyond it, or when the band holds less than -60 dB of the signal's power.

    Harmonic check: a pulse with a strong dicrotic wave can have more power at twice (or,
    with a narrow systolic wave, three times) its rate than at its rate. The maximum at
    ``f`` is read as such a second harmonic when the tapered spectrum has a local peak at
    ``f / 2`` (within half a resolution cell ``fs / T`` or 3 %), inside the band, holding
    at least a quarter of the maximum's power and more than the spectrum holds at ``2 f``
    - the comparison of the harmonic sums ``P(f/2) + P(f)`` and ``P(f) + P(2f)``, with the
    condition that the fundamental be a peak of its own; failing that, as a third harmonic
    when there are such peaks at ``f / 3`` and ``2 f / 3``. The estimate only ever moves
    down, to a peak that is there, so a pure tone is never halved. A maximum that is the
    second harmonic of a pulse just below the band (its half between 0.7 times the lower
    edge and the edge) gives NaN with a warning rather than twice that pulse's rate. Used
    through :func:`estimate_hr`, the powers in the band are compared after undoing the
    filter's attenuation, so a pulse at the band's lower edge, which the band-pass damps,
    keeps its claim.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import hr_fft
    >>> t = np.arange(300) / 30.0
    >>> round(hr_fft(np.sin(2 * np.pi * 1.234 * t), fs=30.0), 1)
    74.0

    A pulse at 48 bpm whose second harmonic is 1.5 times as strong as its fundamental:

    >>> t = np.arange(600) / 30.0
    >>> pulse = np.sin(2 * np.pi * 0.8 * t) + 1.5 * np.sin(2 * np.pi * 1.6 * t + 1.0)
    >>> round(hr_fft(pulse, 30.0)), round(hr_fft(pulse, 30.0, harmonic_check=False))
    (48, 96)
    """
    fs = check_fs(fs)
    band = check_band(band, fs)
    arr = check_signal(x, min_length=4)
    rows = np.atleast_2d(arr)
    nfft = _check_nfft(nfft, rows.shape[-1], fs)
    interpolate = _check_bool(interpolate, "interpolate")
    harmonic_check = _check_bool(harmonic_check, "harmonic_check")
    hr, reasons = _hr_fft_rows(rows, fs, band, nfft, interpolate, harmonic_check)
    _warn_reasons(reasons)
    return float(hr[0]) if arr.ndim == 1 else hr


def _hr_peaks_rows(rows, fs, band):
    """Beat-interval HR of checked rows: (hr in bpm, reasons)."""
    low, high = band
    hr = np.full(rows.shape[0], np.nan)
    reasons = np.full(rows.shape[0], "", dtype=object)
    flat = is_flat(rows)
    distance = max(1, int(np.floor(fs / high)))
    for i, row in enumerate(rows):
        if flat[i]:
            reasons[i] = "the signal is flat (no variation)"
            continue
        sd = row.std()
        # Beats faster than the band: clear maxima (prominence of a standard deviation)
        # closer together than its fastest rate allows, which the minimum distance below
        # would otherwise thin out to every other beat.
        strong, _ = signal.find_peaks(row, prominence=sd)
        if strong.size >= 3 and np.median(np.diff(strong)) < fs / high:
            reasons[i] = f"the beats come faster than the band allows ({60 * high:g} bpm)"
            continue
        peaks, props = signal.find_peaks(row, distance=distance, prominence=0.25 * sd)
        if peaks.size >= 4:
            # A dicrotic wave is a smaller maximum than the systolic one: keep the maxima
            # at least half as prominent as the upper quartile of prominences.
            prom = props["prominences"]
            peaks = peaks[prom >= 0.5 * np.percentile(prom, 75)]
        if peaks.size < 2:
            reasons[i] = "fewer than two pulse peaks were found"
            continue
        rate = 60.0 * fs / np.mean(np.diff(peaks))
        if not 60 * low <= rate <= 60 * high:
            reasons[i] = (
                f"the beat rate ({rate:.1f} bpm) lies outside the band "
                f"({60 * low:g}-{60 * high:g} bpm)"
            )
            continue
        hr[i] = rate
    return hr, reasons


def hr_peaks(x, fs: float, band=HR_BAND):
    """Heart rate (bpm) from the mean inter-beat interval of detected pulse peaks.

    Peaks are local maxima at least ``1 / band[1]`` seconds apart (no two beats closer than
    the fastest heart rate of the band), with a prominence of at least a quarter of the
    signal's standard deviation (so ripples on a beat are not beats) and at least half the
    upper quartile of the prominences (so a dicrotic wave, a smaller maximum within the
    beat, is not a beat). The heart rate is
    ``60 / mean(inter-beat interval)``. The band is enforced as in :func:`hr_fft`: a rate
    outside it is not returned.

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
        Pulse waveform(s), peaks pointing up (band-pass them first).
    fs : float
        Sampling rate in Hz.
    band : (float, float), default=HR_BAND
        Physiological band in Hz (40-180 bpm by default); its upper edge sets the minimum
        peak distance.

    Returns
    -------
    float or ndarray of shape (n_signals,)
        Heart rate in bpm; NaN with an :class:`~lqrppg.exceptions.EstimationWarning` when
        the signal is flat, fewer than two peaks are found, the beat rate lies outside the
        band, or the signal's clear maxima (prominence of at least one standard deviation)
        come faster than the band's upper edge (beats the minimum distance would otherwise
        thin out to every other one).

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import hr_peaks
    >>> t = np.arange(600) / 30.0
    >>> round(hr_peaks(np.sin(2 * np.pi * 1.2 * t), fs=30.0), 1)
    72.0
    """
    fs = check_fs(fs)
    band = check_band(band, fs)
    arr = check_signal(x, min_length=3)
    rows = np.atleast_2d(arr)
    hr, reasons = _hr_peaks_rows(rows, fs, band)
    _warn_reasons(reasons)
    return float(hr[0]) if arr.ndim == 1 else hr


def _filtering(fs, band, detrend_lambda, order, chain, method):
    """(pass band, lambda, order) of :func:`estimate_hr`'s filtering: :func:`filter_pulse`'s,
    capped at the band's top for ``method="peaks"`` (a dicrotic wave left in the signal
    would be counted as a beat; beat detection needs no harmonics)."""
    lam = chain_lambda(detrend_lambda, band, fs, chain)
    low, high = chain_pass_band(band, fs, chain)
    if method == "peaks":
        high = min(high, band[1])
    return (low, high), lam, order


def _apply(rows, fs, filtering):
    pass_band, lam, order = filtering
    out = rows if lam is None else detrend(rows, lam=lam)
    return bandpass(out, fs, band=pass_band, order=order)


def _hr_rows(rows, fs, band, method, chain, filtering=None):
    """HR of checked (filtered) rows by ``method`` as ``chain`` defines it: (hr, reasons)."""
    if method == "peaks":
        return _hr_peaks_rows(rows, fs, band)
    if chain == "toolbox":
        return _hr_fft_rows(rows, fs, band, _next_pow2(rows.shape[-1]), True, False)
    n = rows.shape[-1]
    return _hr_fft_rows(rows, fs, band, _dense_nfft(n, fs), True, True, filtering)


class HREstimate(NamedTuple):
    """A heart rate with its quality: the result of ``estimate_hr(..., return_quality=True)``.

    Fields are scalars for one signal and arrays of shape (n_signals,) for a batch.

    Attributes
    ----------
    hr : float or ndarray
        Heart rate in bpm; NaN where none could be estimated.
    snr : float or ndarray
        SNR in dB of the filtered signal around ``hr`` and its second harmonic
        (:func:`snr`); NaN where there is no estimate.
    confidence : str or ndarray of str
        ``"high"``, ``"medium"`` or ``"low"`` from the SNR (:func:`confidence_label`),
        ``"none"`` where there is no estimate.
    reason : str or ndarray of str
        Why there is no estimate (empty where there is one).

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import estimate_hr
    >>> t = np.arange(900) / 30.0
    >>> est = estimate_hr(np.sin(2 * np.pi * 1.2 * t), 30.0, return_quality=True)
    >>> round(est.hr, 1), est.confidence, bool(est.reliable())
    (72.0, 'high', True)
    """

    hr: float | np.ndarray
    snr: float | np.ndarray
    confidence: str | np.ndarray
    reason: str | np.ndarray

    def reliable(self, min_snr: float = MIN_SNR):
        """Whether each estimate exists and has an SNR of at least ``min_snr`` dB."""
        min_snr = check_min_snr(min_snr)
        hr, s = np.asarray(self.hr, dtype=float), np.asarray(self.snr, dtype=float)
        with np.errstate(invalid="ignore"):
            out = np.isfinite(hr) & np.isfinite(s) & (s >= min_snr)
        return bool(out) if out.ndim == 0 else out

    def gated(self, min_snr: float = MIN_SNR):
        """The heart rates, NaN where the estimate is not reliable at ``min_snr`` dB."""
        keep = self.reliable(min_snr)
        hr = np.where(keep, self.hr, np.nan)
        return float(hr) if hr.ndim == 0 else hr


def check_min_snr(value: Any, name: str = "min_snr") -> float:
    """An SNR gate in dB: any number but NaN (``-inf`` keeps every estimate).

    The one rule of every ``min_snr`` (:meth:`HREstimate.reliable`, the video and live
    pipelines, the CLI's ``--min-snr``). NaN is refused: no SNR is at least NaN, so it would
    silently withhold every heart rate.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise ValueError(f"{name} must be a number of dB (-inf: every estimate); got {value!r}")
    if np.isnan(value):
        raise ValueError(f"{name} must be a number of dB (-inf: every estimate); got nan")
    return float(value)


def _quality(rows, hr, reasons, fs, band, scalar: bool) -> HREstimate:
    """HREstimate of filtered rows and their HR (SNR around each estimate)."""
    s = np.full(rows.shape[0], np.nan)
    ok = np.isfinite(hr)
    if ok.any():
        s[ok] = _snr_rows(rows[ok], hr[ok], fs, band, 6.0, None)
    labels = np.array([confidence_label(v) for v in s], dtype=object)
    if scalar:
        return HREstimate(float(hr[0]), float(s[0]), str(labels[0]), str(reasons[0]))
    return HREstimate(hr, s, labels, reasons)


def estimate_hr(
    x,
    fs: float,
    *,
    band=HR_BAND,
    method: str = "fft",
    detrend_lambda: float | str | None = "auto",
    filter_order: int = 1,
    chain: str = "robust",
    return_quality: bool = False,
):
    """Heart rate (bpm) of rPPG or PPG waveforms: the one HR routine of the package.

    Detrend (smoothness priors, ``detrend_lambda``) and zero-phase Butterworth band-pass
    (``filter_order``) by :func:`filter_pulse`, then the spectral peak inside ``band`` with
    its harmonic check (:func:`hr_fft`, ``method="fft"``) or the mean inter-beat interval
    (:func:`hr_peaks`, ``method="peaks"``; the pass band then ends at the band's upper
    edge, so that a dicrotic wave is smoothed out rather than counted as a beat). This
    routine serves the baselines, the models, the metrics and the command line. With
    ``return_quality=True`` it also gives the SNR of each estimate and its confidence
    label.

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
    fs : float
        Sampling rate in Hz.
    band : (float, float), default=HR_BAND
        HR search band in Hz (40-180 bpm by default; :data:`HR_BAND` says why).
    method : {"fft", "peaks"}, default="fft"
    detrend_lambda : float, "auto" or None, default="auto"
        Smoothness-priors parameter; ``None`` skips detrending. ``"auto"`` depends on the
        chain (see :func:`filter_pulse`).
    filter_order : int, default=1
        Butterworth order.
    chain : {"robust", "toolbox"}, default="robust"
        ``"robust"``: the filter's pass band reaches an octave beyond ``band`` on both
        sides, the spectrum is sampled every 0.5 bpm, and a maximum that is the second
        harmonic of a pulse in the band gives way to the fundamental (see :func:`hr_fft`).
        ``"toolbox"``: rPPG-Toolbox's evaluation chain (detrend with lambda 100 at 30 Hz,
        first-order band-pass over ``band`` itself, periodogram padded to the next power of
        two, maximum inside the band, then refined between bins), for numbers comparable
        with published ones; with ``band=(0.75, 2.5)`` it is this function as it was before
        the robust chain.
    return_quality : bool, default=False
        Return an :class:`HREstimate` (HR, SNR, confidence label, reason for no estimate)
        instead of the heart rates alone.

    Returns
    -------
    float or ndarray of shape (n_signals,), or HREstimate
        Heart rate in bpm (NaN with a warning where no estimate can be made).

    Notes
    -----
    Flat signals, and signals of which nothing but round-off is left after filtering,
    give NaN. A signal with no pulse but some content in the band (noise, filter residue
    of a strong slow component) still has a largest spectral peak, whose frequency is
    returned: judge such estimates by their quality (``return_quality=True``; an SNR below
    :data:`MIN_SNR` is labelled ``"low"`` and is not reliable).

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import estimate_hr
    >>> t = np.arange(900) / 30.0
    >>> x = np.sin(2 * np.pi * 1.1 * t) + 0.3 * t
    >>> round(estimate_hr(x, fs=30.0), 1)
    66.0
    >>> est = estimate_hr(np.random.default_rng(0).standard_normal(900), 30.0,
    ...                   return_quality=True)
    >>> est.confidence, bool(est.reliable())
    ('low', False)
    """
    method = check_choice(method, "method", _HR_METHODS)
    chain = check_chain(chain)
    return_quality = _check_bool(return_quality, "return_quality")
    fs = check_fs(fs)
    band = check_band(band, fs)
    arr = check_signal(x, min_length=4)
    rows = np.atleast_2d(arr)
    hr = np.full(rows.shape[0], np.nan)
    reasons = np.full(rows.shape[0], "", dtype=object)
    # Filtering would turn a constant into round-off noise with a 'peak' somewhere: flat
    # signals are answered NaN here, before any filtering.
    flat = is_flat(rows)
    reasons[flat] = "the signal is flat (no variation)"
    filtered = np.zeros_like(rows)
    filtering = _filtering(fs, band, detrend_lambda, filter_order, chain, method)
    if not flat.all():
        filtered[~flat] = _apply(rows[~flat], fs, filtering)
    # What is left after filtering at round-off level of the input (a pure trend, say) has
    # no content in the band: its 'peak' would be numerical noise.
    empty = ~flat & (np.ptp(filtered, axis=-1) <= 1e-9 * np.ptp(rows, axis=-1))
    reasons[empty] = "nothing is left in the band after filtering"
    ok = ~flat & ~empty
    if ok.any():
        hr[ok], reasons[ok] = _hr_rows(filtered[ok], fs, band, method, chain, filtering)
    _warn_reasons(reasons)
    if return_quality:
        return _quality(filtered, hr, reasons, fs, band, arr.ndim == 1)
    return float(hr[0]) if arr.ndim == 1 else hr


def hr_windowed(
    x,
    fs: float,
    window: float = 10.0,
    step: float = 1.0,
    *,
    band=HR_BAND,
    method: str = "fft",
    chain: str = "robust",
    return_quality: bool = False,
):
    """Heart rate in sliding windows.

    Each window of ``window`` seconds, advanced by ``step`` seconds, is passed to
    :func:`hr_fft` or :func:`hr_peaks` as it is (filter the whole signal first, e.g. with
    :func:`filter_pulse`, so that windows do not carry filter edge effects). Windows that
    would run past the end are not made: the last window ends at or before the last sample.

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
    fs : float
        Sampling rate in Hz.
    window : float, default=10.0
        Window length in seconds (at least 4 samples, at most the signal length).
    step : float, default=1.0
        Hop between window starts in seconds (at least one sample).
    band : (float, float), default=HR_BAND
    method : {"fft", "peaks"}, default="fft"
    chain : {"robust", "toolbox"}, default="robust"
        As in :func:`estimate_hr`: with ``"robust"`` the spectral peak has the harmonic
        check and a 0.5 bpm spectral grid; ``"toolbox"`` pads to the next power of two only.
    return_quality : bool, default=False
        Return an :class:`HREstimate` per window (SNR of each window around its HR)
        instead of the heart rates alone.

    Returns
    -------
    times : ndarray of shape (n_windows,)
        Window centres in seconds from the first sample.
    hr : ndarray of shape (n_windows,) or (n_signals, n_windows), or HREstimate
        Heart rate in bpm per window (NaN with a warning where no estimate can be made);
        with ``return_quality``, an HREstimate whose fields have that shape.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import hr_windowed
    >>> t = np.arange(30 * 30) / 30.0
    >>> times, hr = hr_windowed(np.sin(2 * np.pi * 1.5 * t), fs=30.0, window=10, step=5)
    >>> times.tolist(), np.round(hr).tolist()
    ([5.0, 10.0, 15.0, 20.0, 25.0], [90.0, 90.0, 90.0, 90.0, 90.0])
    """
    method = check_choice(method, "method", _HR_METHODS)
    chain = check_chain(chain)
    return_quality = _check_bool(return_quality, "return_quality")
    fs = check_fs(fs)
    band = check_band(band, fs)
    arr = check_signal(x, min_length=4)
    for name, value in (("window", window), ("step", step)):
        if isinstance(value, bool) or not np.isscalar(value) or not np.isfinite(value):
            raise ValueError(f"{name} must be a finite number of seconds; got {value!r}")
    n_win = round(window * fs)
    n_step = round(step * fs)
    n = arr.shape[-1]
    if not 4 <= n_win <= n:
        raise ValueError(
            f"window must span between 4 samples and the signal length ({n} samples = "
            f"{n / fs:g} s); got {window!r} s = {n_win} samples"
        )
    if n_step < 1:
        raise ValueError(f"step must be at least one sample (1/fs = {1 / fs:g} s); got {step!r}")
    starts = np.arange(0, n - n_win + 1, n_step)
    rows = np.atleast_2d(arr)
    windows = np.lib.stride_tricks.sliding_window_view(rows, n_win, axis=-1)[:, starts, :]
    flat_windows = windows.reshape(-1, n_win)
    hr, reasons = _hr_rows(flat_windows, fs, band, method, chain)
    _warn_reasons(reasons)
    times = (starts + n_win / 2.0) / fs
    shape = (rows.shape[0], starts.size)

    def shaped(values):
        values = np.asarray(values).reshape(shape)
        return values[0] if arr.ndim == 1 else values

    if return_quality:
        q = _quality(flat_windows, hr, reasons, fs, band, False)
        return times, HREstimate(*(shaped(field) for field in q))
    return times, shaped(hr)


def _snr_rows(rows, hr_arr, fs, band, deviation, nfft):
    low, high = band
    n = rows.shape[-1]
    dev = deviation / 60.0
    nfft = _dense_nfft(n, fs, min(_RESOLUTION_HZ, dev / 6.0)) if nfft is None else nfft
    rows = rows - rows.mean(axis=-1, keepdims=True)
    freqs, pxx = signal.periodogram(rows, fs=fs, nfft=nfft, detrend=False, axis=-1)
    f1 = hr_arr[:, None] / 60.0
    first = np.abs(freqs[None, :] - f1) <= dev
    second = np.abs(freqs[None, :] - 2 * f1) <= dev
    harm = first | second
    in_band = (freqs >= low) & (freqs <= high)
    floor = _SNR_FLOOR * np.maximum(pxx.sum(axis=1), np.finfo(float).tiny)
    p1 = np.sum(pxx * first, axis=1)
    p2 = np.sum(pxx * (second & ~first), axis=1)
    # The second-harmonic window counts up to _HARMONIC_CAP times the first's power: no
    # pulse has a harmonic that much stronger, and without the cap half the true rate
    # would score as well as the rate itself (its "harmonic" window holds the pulse).
    signal_power = np.maximum(p1 + np.minimum(p2, _HARMONIC_CAP * p1), floor)
    noise_power = np.maximum(np.sum(pxx * (in_band[None, :] & ~harm), axis=1), floor)
    return 10.0 * np.log10(signal_power / noise_power)


def snr(x, hr, fs: float, band=HR_BAND, *, deviation: float = 6.0, nfft=None):
    """Signal-to-noise ratio (dB) of a pulse waveform around a known heart rate.

    Power (periodogram of the signal less its mean) within ``+-deviation`` bpm of ``hr`` and
    of its second harmonic ``2 * hr`` is the signal; the power in the rest of ``band`` is
    the noise (de Haan & Jeanne 2013, as computed by rPPG-Toolbox, whose code uses a 0.6-3.3
    Hz band). One departure: the second-harmonic window counts at most 2.25 times the power
    of the first (a harmonic 1.5 times the fundamental's amplitude, more than any pulse's);
    otherwise half the true rate, whose "harmonic" window holds the pulse, would score as
    well as the true rate. For every pulse-like signal the value is de Haan's. The FFT is
    zero-padded so that spectral samples lie at most 0.5 bpm (and a sixth of
    ``deviation``) apart: the signal windows then hold spectral mass for windows of any
    length, where an FFT of a 2 s window has samples 30 bpm apart, and on a clean pulse the
    true rate scores higher than any rate 10 bpm or more away in windows of 2 s or more
    (in shorter ones the spectral resolution, 60 / T bpm, is too coarse to tell them apart;
    the value is still finite).

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
    hr : float or array-like of shape (n_signals,)
        Reference heart rate(s) in bpm (positive).
    fs : float
        Sampling rate in Hz.
    band : (float, float), default=HR_BAND
        Band in Hz over which the noise power is summed.
    deviation : float, default=6.0
        Half-width in bpm of the signal windows.
    nfft : int, optional
        FFT length (>= T). Default: as said above.

    Returns
    -------
    float or ndarray of shape (n_signals,)
        SNR in dB, finite for every signal that is not flat: each power is floored at
        1e-12 of the signal's total, so the SNR lies within +-120 dB. NaN with an
        :class:`~lqrppg.exceptions.EstimationWarning` for a flat signal.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import snr
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(900) / 30.0
    >>> clean = np.sin(2 * np.pi * 1.2 * t)
    >>> bool(snr(clean + 0.1 * rng.standard_normal(900), 72, fs=30)
    ...      > snr(clean + 1.0 * rng.standard_normal(900), 72, fs=30))
    True
    """
    fs = check_fs(fs)
    band = check_band(band, fs)
    arr = check_signal(x, min_length=4)
    rows = np.atleast_2d(arr)
    hr_arr = np.asarray(hr, dtype=np.float64)
    if hr_arr.ndim == 0:
        hr_arr = np.full(rows.shape[0], float(hr_arr))
    if hr_arr.shape != (rows.shape[0],):
        raise ValueError(
            f"hr must be a scalar or have shape ({rows.shape[0]},) to match x; "
            f"got shape {hr_arr.shape}"
        )
    if not np.all(np.isfinite(hr_arr)) or np.any(hr_arr <= 0):
        raise ValueError("hr must hold positive finite heart rates in bpm")
    if isinstance(deviation, bool) or not np.isscalar(deviation) or not deviation > 0:
        raise ValueError(f"deviation must be a positive number of bpm; got {deviation!r}")
    if nfft is not None:
        nfft = _check_nfft(nfft, rows.shape[-1], fs)
    out = _snr_rows(rows, hr_arr, fs, band, float(deviation), nfft)
    flat = is_flat(rows)
    out[flat] = np.nan
    if np.any(flat):
        warnings.warn(
            "SNR could not be computed for a flat signal; returned NaN",
            EstimationWarning,
            stacklevel=2,
        )
    return float(out[0]) if arr.ndim == 1 else out


def confidence_label(snr_db: float) -> str:
    """Confidence label of a heart-rate estimate from its SNR in dB.

    ``"high"`` at 5 dB or more, ``"medium"`` from :data:`MIN_SNR` (0 dB) to 5 dB, ``"low"``
    below (not reliable), ``"none"`` for NaN (no estimate): see
    :data:`CONFIDENCE_THRESHOLDS`.

    Examples
    --------
    >>> from lqrppg.signal import confidence_label
    >>> confidence_label(7.2), confidence_label(1.0), confidence_label(-3.0)
    ('high', 'medium', 'low')
    """
    if np.isnan(snr_db):
        return "none"
    for low, label in CONFIDENCE_THRESHOLDS:
        if snr_db >= low:
            return label
    return "low"
