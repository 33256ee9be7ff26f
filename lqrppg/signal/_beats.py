"""Beats of a pulse waveform: systolic peaks with sub-sample timing and per-beat quality."""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import interpolate, ndimage
from scipy import signal as sps

from ..exceptions import EstimationWarning
from ._validation import check_band, check_fs, check_signal, is_flat

__all__ = ["BEAT_QUALITY", "Beats", "classify_intervals", "detect_beats"]

#: The quality labels of beats and intervals, from best to worst.
BEAT_QUALITY = ("normal", "ectopic", "implausible")

# Elgendi et al. (2013): windows of the two moving averages and the offset of the threshold.
_PEAK_WINDOW = 0.111  # s, about the width of a systolic peak
_BEAT_WINDOW = 0.667  # s, about the length of a beat
_OFFSET = 0.02  # fraction of the mean squared signal added to the beat average
_NEIGHBOURS = 5
_MIN_SLOPE = 0.3  # an upstroke is a beat if at least this fraction as steep as its neighbours
_DICROTIC_SLOPE = 0.6  # an early upstroke this much flatter than both neighbours is dicrotic
_SLOPE_SPAN = 8.0  # s, span of the neighbours of the slope rule


@dataclass(frozen=True, eq=False)
class Beats:
    """Beats of a pulse waveform, as found by :func:`detect_beats`.

    Attributes
    ----------
    times : ndarray of shape (n_beats,)
        Systolic peak times in seconds from the first sample, interpolated between samples.
    ibi : ndarray of shape (n_beats - 1,)
        Inter-beat intervals in seconds, ``ibi[i] = times[i + 1] - times[i]``.
    ibi_quality : ndarray of shape (n_beats - 1,), str
        ``"normal"``, ``"ectopic"`` or ``"implausible"`` per interval (see
        :func:`classify_intervals`).
    quality : ndarray of shape (n_beats,), str
        Per beat: the worse of the qualities of its intervals (the one before and the one
        after it; one for the first and the last beat). A beat detected in the middle of
        a run of normal intervals is ``"normal"``; a premature beat, a missed beat next to
        it or a spurious detection makes its neighbours' intervals and so the beats
        ``"ectopic"``; an interval outside ``hr_range`` makes them ``"implausible"``.
    amplitudes : ndarray of shape (n_beats,)
        Height of each systolic peak above the preceding trough (the beat's foot) in the
        band-passed waveform, in the units of the input.
    onsets : ndarray of shape (n_beats,)
        Times of those troughs in seconds (NaN for a first beat with no trough before it).
    fs : float
        Sampling rate of the waveform in Hz.
    duration : float
        Length of the waveform in seconds (``T / fs``).
    band : (float, float)
        Band-pass applied before detection, in Hz.
    """

    times: np.ndarray
    ibi: np.ndarray
    ibi_quality: np.ndarray
    quality: np.ndarray
    amplitudes: np.ndarray
    onsets: np.ndarray
    upstrokes: np.ndarray
    fs: float
    duration: float
    band: tuple[float, float]

    @property
    def n_beats(self) -> int:
        """Number of beats found."""
        return int(self.times.size)

    @property
    def ibi_valid(self) -> np.ndarray:
        """True for the intervals whose quality is ``"normal"`` (the NN intervals)."""
        return self.ibi_quality == "normal"

    @property
    def timing_noise(self) -> float:
        """Estimated timing noise of the beat times in seconds (NaN if under 3 normal beats).

        Noise moves a beat's systolic peak and its steepest upstroke differently, while a
        real change of the heart period moves both together, so the delay between them
        varies with the timing noise: the estimate is the root mean square of the
        successive differences of that delay over consecutive normal beats, divided by
        the square root of 2. It also holds the beat-to-beat variation of the pulse's
        rise time and so errs on the high side (on the iphys contact PPG, 7 ms: the
        excess of its RMSSD over the ECG's). An interval then carries noise of variance
        ``2 * timing_noise**2`` and a successive difference ``6 * timing_noise**2``.
        """
        normal = self.quality == "normal"
        delay = self.times - self.upstrokes
        pair = normal[1:] & normal[:-1] & np.isfinite(delay[1:]) & np.isfinite(delay[:-1])
        if pair.sum() < 2:
            return float("nan")
        d = np.diff(delay)[pair]
        return float(np.sqrt(np.mean(d * d) / 2.0))

    @property
    def n_flagged(self) -> int:
        """Number of intervals not ``"normal"``."""
        return int(np.sum(~self.ibi_valid))

    def __repr__(self) -> str:
        hr = 60.0 / np.mean(self.ibi) if self.ibi.size else float("nan")
        return (
            f"Beats(n_beats={self.n_beats}, mean rate {hr:.1f} bpm, "
            f"{self.n_flagged} of {self.ibi.size} intervals flagged, "
            f"duration={self.duration:g} s)"
        )


def _check_pair(value, name: str, low: float, high: float) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a pair (low, high) of numbers; got {value!r}") from exc
    if not (np.isfinite(a) and np.isfinite(b) and low <= a < b <= high):
        raise ValueError(f"{name} must satisfy {low:g} <= low < high <= {high:g}; got {value!r}")
    return a, b


def _check_fraction(value, name: str) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 < value < 1
    if not ok:
        raise ValueError(f"{name} must be a number in (0, 1); got {value!r}")
    return float(value)


def classify_intervals(ibi, *, hr_range=(30.0, 220.0), max_deviation: float = 0.25) -> np.ndarray:
    """Quality label of each inter-beat interval: normal, ectopic or implausible.

    - ``"implausible"``: the interval is outside the physiological range, shorter than
      ``60 / hr_range[1]`` or longer than ``60 / hr_range[0]`` seconds.
    - ``"ectopic"``: it differs by more than ``max_deviation`` (a fraction) from the median
      of the plausible intervals around it (up to five on each side, itself excluded), or
      it is next to such an interval and deviates the other way by more than half of
      ``max_deviation`` (the short and long intervals around a displaced beat). A
      premature beat gives a short interval and a long compensatory one, a missed
      detection one interval of about twice the others, a spurious detection (an artefact,
      a dicrotic wave taken for a beat) two short ones: all of these are caught.
    - ``"normal"`` otherwise: the normal-to-normal (NN) intervals of HRV analysis.

    Flagged intervals are labelled, never removed: what to do with them is the caller's
    choice (:func:`hrv` leaves them out of every statistic, see there).

    Parameters
    ----------
    ibi : array-like of shape (n,)
        Inter-beat intervals in seconds, consecutive.
    hr_range : (float, float), default=(30.0, 220.0)
        Plausible heart rates in bpm.
    max_deviation : float, default=0.25
        Largest relative deviation from the local median of a normal interval, in (0, 1).
        0.25 is wider than the 20 % of the classic rule (Malik et al. 1989) so that strong
        respiratory sinus arrhythmia (up to +-20 % in young adults at rest) is not taken for
        ectopy, and narrow enough that a missed beat (+100 %) or an extra one (about -50 %)
        is always caught.

    Returns
    -------
    ndarray of shape (n,), str

    Examples
    --------
    >>> from lqrppg.signal import classify_intervals
    >>> classify_intervals([0.8, 0.81, 0.79, 0.5, 1.1, 0.8, 0.8, 0.1]).tolist()
    ['normal', 'normal', 'normal', 'ectopic', 'ectopic', 'normal', 'normal', 'implausible']
    """
    arr = np.asarray(ibi, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"ibi must be a 1-D array of intervals in s; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError("ibi must hold positive finite intervals in seconds")
    lo, hi = _check_pair(hr_range, "hr_range", 1.0, 600.0)
    max_deviation = _check_fraction(max_deviation, "max_deviation")
    out = np.full(arr.size, "normal", dtype="<U11")
    plausible = (arr >= 60.0 / hi) & (arr <= 60.0 / lo)
    out[~plausible] = "implausible"
    idx = np.flatnonzero(plausible)
    ref = np.full(arr.size, np.nan)
    for j, i in enumerate(idx):
        # Neighbours among the plausible intervals, so one artefact does not move the median.
        around = np.concatenate(
            [idx[max(0, j - _NEIGHBOURS) : j], idx[j + 1 : j + 1 + _NEIGHBOURS]]
        )
        if around.size < 2:
            continue  # too few neighbours to call it abnormal
        ref[i] = np.median(arr[around])
        if abs(arr[i] - ref[i]) > max_deviation * ref[i]:
            out[i] = "ectopic"
    # A displaced beat makes a short and a long interval; when one of them is flagged, the
    # other is too if it deviates the other way by more than half the threshold, so that
    # the NN intervals are not biased to one side.
    dev = (arr - ref) / ref
    for i in np.flatnonzero(out == "ectopic"):
        for j in (i - 1, i + 1):
            if 0 <= j < arr.size and out[j] == "normal" and np.isfinite(dev[j]):
                if dev[j] * dev[i] < 0 and abs(dev[j]) > 0.5 * max_deviation:
                    out[j] = "ectopic"
    return out


def _beat_quality(ibi_quality: np.ndarray, n_beats: int) -> np.ndarray:
    rank = {q: k for k, q in enumerate(BEAT_QUALITY)}
    r = np.array([rank[q] for q in ibi_quality], dtype=int)
    per_beat = np.zeros(n_beats, dtype=int)
    if r.size:
        per_beat[:-1] = r
        per_beat[1:] = np.maximum(per_beat[1:], r)
    return np.asarray(BEAT_QUALITY, dtype="<U11")[per_beat]


def _moving_average(z: np.ndarray, n: int) -> np.ndarray:
    return ndimage.uniform_filter1d(z, size=max(1, n), mode="nearest")


def _refine(y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Sub-sample position of the maxima of ``y`` at ``idx``.

    A cubic spline through the seven samples around each maximum is evaluated on a grid
    of 1/100 sample within one sample either side, and its maximum refined by a parabola
    through the three grid points around it. On a band-limited pulse this is several
    times more accurate than a parabola through the three samples, whose error grows as
    the peak gets sharper relative to the sampling (up to 10 ms at 25 Hz and 175 bpm).
    Maxima within three samples of an end keep the three-point parabola.
    """
    pos = idx.astype(np.float64)
    fine = np.linspace(-1.0, 1.0, 201)
    for k, i in enumerate(idx):
        if 3 <= i < y.size - 3:
            spline = interpolate.CubicSpline(np.arange(-3, 4), y[i - 3 : i + 4])
            vals = spline(fine)
            j = int(np.clip(np.argmax(vals), 1, fine.size - 2))
            pos[k] = i + fine[j] + _vertex(vals[j - 1], vals[j], vals[j + 1]) * (fine[1] - fine[0])
        elif 0 < i < y.size - 1:
            pos[k] = i + _vertex(y[i - 1], y[i], y[i + 1])
    return pos


def _levels(y: np.ndarray):
    """The waveform as a function of (fractional) sample position: a cubic spline."""
    return interpolate.CubicSpline(np.arange(y.size), y)


def _vertex(y0: float, y1: float, y2: float) -> float:
    """Offset in (-0.5, 0.5) of the vertex of the parabola through three equispaced points."""
    denom = y0 - 2.0 * y1 + y2
    return float(np.clip(0.5 * (y0 - y2) / denom, -0.5, 0.5)) if denom < 0 else 0.0


def _default_band(fs: float) -> tuple[float, float]:
    return 0.5, min(8.0, 0.4 * fs)


def detect_beats(
    x,
    fs: float,
    *,
    band=None,
    hr_range=(30.0, 220.0),
    refractory: float | None = None,
    max_deviation: float = 0.25,
) -> Beats:
    """Beats (systolic peaks) of a pulse waveform, with sub-sample timing and quality flags.

    The algorithm, step by step (details in the Notes):

    1. Zero-phase band-pass (Butterworth, order 2, ``band``, 0.5-8 Hz by default as in
       Elgendi et al. 2013), which removes the baseline and high-frequency noise but keeps
       the systolic upstroke.
    2. Upstrokes: Elgendi's two moving averages (111 ms and 667 ms) of the squared rising
       slope; a block where the short one exceeds the long one plus 2 % of the mean marks
       an upstroke, its steepest point the beat. Candidates less than 0.3 times as steep
       as the steep ones within 8 s (their 80th percentile) are ripples, not beats.
    3. Refractory period: of two upstrokes closer than ``refractory`` s, only the steeper
       is kept.
    4. Dicrotic wave: an upstroke flatter than 0.6 times both its neighbours and in the
       first half of the interval between them is the rise of the dicrotic wave, not a
       beat (at the ends, flatter than its one neighbour and less than 3/4 of the median
       interval away).
    5. Systolic peak: the first maximum of the waveform after each upstroke, placed between
       samples by a cubic spline through the seven samples around it (at 30 Hz a sample is
       33 ms, more than a typical RMSSD).
    6. Quality: the intervals are labelled by :func:`classify_intervals` (physiological
       range ``hr_range``, deviation ``max_deviation`` from the local median), and each
       beat gets the worse label of its two intervals. Nothing is dropped.

    Parameters
    ----------
    x : array-like of shape (T,)
        One pulse waveform with its systolic peaks pointing up (contact PPG or an rPPG
        signal in the same orientation; negate an absorbance-like signal first).
    fs : float
        Sampling rate in Hz.
    band : (float, float), optional
        Pass band in Hz before detection. Default ``(0.5, min(8, 0.4 * fs))``, Elgendi's
        0.5-8 Hz where the rate allows.
    hr_range : (float, float), default=(30.0, 220.0)
        Plausible heart rates in bpm; intervals outside are flagged ``"implausible"``.
    refractory : float, optional
        Shortest time in seconds between two beats. Default ``60 / hr_range[1]`` (0.27 s).
    max_deviation : float, default=0.25
        Relative deviation from the local median interval beyond which an interval is
        flagged ``"ectopic"`` (see :func:`classify_intervals`).

    Returns
    -------
    Beats
        ``times``, ``ibi``, ``quality``, ``ibi_quality``, ``amplitudes``, ``onsets``.

    Warns
    -----
    EstimationWarning
        When the waveform is flat or fewer than two beats are found (the result is then
        empty or holds one beat, and no intervals).

    Notes
    -----
    Why the upstroke and not the peak itself locates a beat: the dicrotic wave of a finger
    PPG can be nearly as high as the systolic peak, and a detector on the waveform (such
    as Elgendi's, on the squared waveform) takes it for a beat at low heart rates (on the
    iphys recording, 101 beats for 68); its rise is several times less steep than the
    systolic upstroke, so on the slope it stays under the thresholds.

    The systolic peak is the fiducial point: it is the most prominent and the one rPPG
    waveforms keep best. Peak-to-peak intervals equal the foot-to-foot or R-R intervals
    on average, but also carry the beat-to-beat change of the pulse's rise time (a few
    ms, more in an rPPG signal whose upstroke is smoothed).

    References: M. Elgendi et al., "Systolic peak detection in acceleration
    photoplethysmograms measured from emergency responders in tropical conditions",
    PLoS ONE 8(10):e76585 (2013).

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import detect_beats
    >>> t = np.arange(0, 20, 1 / 30)
    >>> phase = (1.25 * t) % 1  # 75 bpm, systolic wave at 0.2, dicrotic wave at 0.55
    >>> x = np.exp(-((phase - 0.2) / 0.08) ** 2) + 0.4 * np.exp(-((phase - 0.55) / 0.1) ** 2)
    >>> beats = detect_beats(x, fs=30.0)
    >>> beats.n_beats, round(float(np.mean(beats.ibi)), 3), beats.n_flagged
    (25, 0.8, 0)
    """
    fs = check_fs(fs)
    arr = check_signal(x, min_length=3)
    if arr.ndim != 1:
        raise ValueError(
            f"x must be one waveform of shape (T,); got shape {arr.shape} (call detect_beats "
            "once per signal: each has its own number of beats)"
        )
    band = _default_band(fs) if band is None else band
    low, high = check_band(band, fs)
    hr_lo, hr_hi = _check_pair(hr_range, "hr_range", 1.0, 600.0)
    if refractory is None:
        refractory = 60.0 / hr_hi
    ok = isinstance(refractory, numbers.Real) and not isinstance(refractory, bool)
    if not (ok and np.isfinite(refractory) and 0 <= refractory < 60.0 / hr_lo):
        raise ValueError(
            f"refractory must be a number of seconds in [0, {60.0 / hr_lo:g}) (the longest "
            f"plausible interval); got {refractory!r}"
        )
    max_deviation = _check_fraction(max_deviation, "max_deviation")
    duration = arr.size / fs

    sos = sps.butter(2, [low, high], btype="bandpass", fs=fs, output="sos")
    padlen = min(arr.size - 1, 3 * (2 * len(sos) + 1))
    if is_flat(arr):
        return _empty(fs, duration, (low, high), "the signal is flat (no variation)")
    y = sps.sosfiltfilt(sos, arr, padlen=padlen)

    # Upstrokes: blocks where the short-window energy of the rising slope exceeds its
    # beat-length average (Elgendi's two moving averages, on the slope rather than the
    # waveform: a dicrotic wave rises far more slowly than the systolic upstroke).
    v = np.gradient(y) * fs
    z = np.maximum(v, 0.0) ** 2
    ma_peak = _moving_average(z, round(_PEAK_WINDOW * fs))
    ma_beat = _moving_average(z, round(_BEAT_WINDOW * fs))
    above = ma_peak > ma_beat + _OFFSET * z.mean()
    edges = np.diff(np.concatenate([[0], above.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    min_width = max(1, round(0.5 * _PEAK_WINDOW * fs))
    up = np.asarray(
        [
            s + int(np.argmax(v[s:e]))
            for s, e in zip(starts, stops, strict=True)
            if e - s >= min_width
        ],
        dtype=np.intp,
    )
    up = up[_steep_enough(up, v[up], fs)]
    up = _apply_refractory(up, v, refractory * fs)
    up = up[~_dicrotic(up, v[up])]
    # The systolic peak: the first maximum of the waveform after the steepest rise.
    peaks, ups = [], []
    for u in up:
        k = u
        while k + 1 < y.size and v[k + 1] > 0:
            k += 1
        if k + 1 < y.size:
            peaks.append(k + 1 if y[k + 1] > y[k] else k)
            ups.append(u)
    peaks = np.asarray(peaks, dtype=np.intp)
    ups = np.asarray(ups, dtype=np.intp)
    # Two upstrokes of one beat (a notch in the rise) lead to the same peak: keep the first.
    if peaks.size:
        first = np.concatenate([[True], np.diff(peaks) > 0])
        peaks, ups = peaks[first], ups[first]
    if peaks.size < 2:
        return _empty(fs, duration, (low, high), "fewer than two beats were found", y, peaks)

    pos = _refine(y, peaks)
    troughs = np.full(peaks.size, -1, dtype=np.intp)
    for k, (p, u) in enumerate(zip(peaks, ups, strict=True)):
        # The foot: the lowest point between the previous peak and this upstroke.
        start = peaks[k - 1] if k > 0 else max(0, p - round(60.0 / hr_lo * fs))
        if u - start >= 1:
            troughs[k] = start + int(np.argmin(y[start : u + 1]))
    has = troughs >= 0
    onset_pos = np.full(peaks.size, np.nan)
    onset_pos[has] = _refine(-y, troughs[has])
    amplitudes = np.full(peaks.size, np.nan)
    # Heights read at the interpolated extrema, not at the samples: a sample's height
    # depends on where the beat falls on the sample grid, which drifts periodically when
    # the heart rate and the sampling rate are close to a simple ratio (70 bpm at 30 Hz:
    # a 20/min 'modulation' of the sampled heights).
    level = _levels(y)
    amplitudes[has] = level(pos[has]) - level(onset_pos[has])
    # A first beat whose trough is the first sample has no foot inside the record.
    first_cut = has[0] and troughs[0] == 0
    if first_cut:
        onset_pos[0] = np.nan
        amplitudes[0] = np.nan

    times = pos / fs
    ibi = np.diff(times)
    ibi_quality = classify_intervals(ibi, hr_range=(hr_lo, hr_hi), max_deviation=max_deviation)
    return Beats(
        times=times,
        ibi=ibi,
        ibi_quality=ibi_quality,
        quality=_beat_quality(ibi_quality, times.size),
        amplitudes=amplitudes,
        onsets=onset_pos / fs,
        upstrokes=_refine(v, ups) / fs,
        fs=fs,
        duration=duration,
        band=(low, high),
    )


def _steep_enough(up: np.ndarray, slope: np.ndarray, fs: float) -> np.ndarray:
    """Upstrokes at least ``_MIN_SLOPE`` times as steep as the steep ones around them.

    The reference is a high quantile (the 80th percentile) of the slopes of the candidate
    upstrokes within ``_SLOPE_SPAN`` seconds: the systolic upstrokes whatever the share of
    smaller candidates (dicrotic waves, ripples) among them.
    """
    keep = np.ones(up.size, dtype=bool)
    half = _SLOPE_SPAN / 2 * fs
    for k, u in enumerate(up):
        near = slope[np.abs(up - u) <= half]
        keep[k] = slope[k] >= _MIN_SLOPE * np.percentile(near, 80)
    return keep


def _dicrotic(up: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Upstrokes that look like a dicrotic wave: the rise after a systolic peak.

    Such an upstroke is less than ``_DICROTIC_SLOPE`` times as steep as both its neighbours
    and lies in the first half of the interval between them (it follows one beat, rather
    than precedes the next); at the ends, where one neighbour is known, it is flatter than
    that neighbour and less than 3/4 of the median interval from it. A premature beat can
    look alike; it is then missed, and the long interval it leaves is flagged, not hidden."""
    out = np.zeros(up.size, dtype=bool)
    if up.size < 3:
        return out
    k = np.arange(1, up.size - 1)
    weaker = slope[k] < _DICROTIC_SLOPE * np.minimum(slope[k - 1], slope[k + 1])
    early = (up[k] - up[k - 1]) < (up[k + 1] - up[k])
    out[k] = weaker & early
    # At the ends one neighbour is known: a flatter upstroke at a short distance from it
    # is the dicrotic wave of a beat cut by the start (or of the last beat).
    gap = np.median(np.diff(up))
    for end, other in ((0, 1), (up.size - 1, up.size - 2)):
        close = abs(up[other] - up[end]) < 0.75 * gap
        out[end] = close and slope[end] < _DICROTIC_SLOPE * slope[other]
    return out


def _apply_refractory(peaks: np.ndarray, y: np.ndarray, min_gap: float) -> np.ndarray:
    """Keep the higher of two peaks closer than ``min_gap`` samples, repeatedly."""
    keep = list(peaks)
    changed = True
    while changed and len(keep) > 1:
        changed = False
        out = [keep[0]]
        for p in keep[1:]:
            if p - out[-1] < min_gap:
                changed = True
                if y[p] > y[out[-1]]:
                    out[-1] = p
            else:
                out.append(p)
        keep = out
    return np.asarray(keep, dtype=np.intp)


def _empty(fs, duration, band, reason, y=None, peaks=None) -> Beats:
    warnings.warn(f"no beat intervals: {reason}", EstimationWarning, stacklevel=3)
    n = 0 if peaks is None else int(peaks.size)
    times = np.empty(0) if n == 0 else _refine(y, peaks) / fs
    return Beats(
        times=times,
        ibi=np.empty(0),
        ibi_quality=np.empty(0, dtype="<U11"),
        quality=np.full(n, "normal", dtype="<U11"),
        amplitudes=np.full(n, np.nan),
        onsets=np.full(n, np.nan),
        upstrokes=np.full(n, np.nan),
        fs=fs,
        duration=duration,
        band=band,
    )
