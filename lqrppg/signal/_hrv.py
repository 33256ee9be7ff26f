"""Heart-rate variability from inter-beat intervals: time domain and LF/HF."""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import signal as sps

from .._validation import check_int
from ..exceptions import EstimationWarning
from ._beats import Beats, _check_fraction, _check_pair, classify_intervals

__all__ = ["HRV", "hrv"]

#: Shortest span of NN intervals (s) for LF/HF: ten cycles of 0.083 Hz, about the 2 minutes
#: the Task Force (1996) gives as the least for the LF band (5 minutes is the standard).
MIN_LF_DURATION = 120.0


@dataclass(frozen=True, eq=False)
class HRV:
    """Heart-rate variability of a recording, as computed by :func:`hrv`.

    Every statistic is over the normal-to-normal (NN) intervals only; a statistic that
    could not be given reliably is NaN and ``reasons`` says why.

    Attributes
    ----------
    mean_nn : float
        Mean NN interval in ms.
    mean_hr : float
        ``60000 / mean_nn``, bpm.
    sdnn : float
        Standard deviation of the NN intervals in ms (``ddof=1``).
    rmssd : float
        Root mean square of the successive differences of NN intervals in ms, over pairs
        of consecutive intervals that are both NN.
    pnn50 : float
        Percentage of those successive differences larger than 50 ms.
    lf, hf : float
        Power of the NN series in 0.04-0.15 Hz and 0.15-0.4 Hz, ms^2 (Lomb-Scargle).
    lf_hf : float
        ``lf / hf``.
    n_intervals : int
        Intervals given (or found).
    n_nn : int
        Of them, NN intervals (quality ``"normal"``).
    n_pairs : int
        Successive NN pairs behind ``rmssd`` and ``pnn50``.
    duration : float
        Span of all the intervals in s.
    timing_noise : float
        Estimated timing noise of the beats in ms (:attr:`Beats.timing_noise`); NaN when
        the input was a plain array of intervals.
    reasons : dict of str to str
        For every NaN statistic, why it was not given.
    """

    mean_nn: float
    mean_hr: float
    sdnn: float
    rmssd: float
    pnn50: float
    lf: float
    hf: float
    lf_hf: float
    n_intervals: int
    n_nn: int
    n_pairs: int
    duration: float
    timing_noise: float
    reasons: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The statistics and counts as a plain dict (for JSON or a DataFrame row)."""
        return {
            "mean_nn": self.mean_nn,
            "mean_hr": self.mean_hr,
            "sdnn": self.sdnn,
            "rmssd": self.rmssd,
            "pnn50": self.pnn50,
            "lf": self.lf,
            "hf": self.hf,
            "lf_hf": self.lf_hf,
            "n_intervals": self.n_intervals,
            "n_nn": self.n_nn,
            "n_pairs": self.n_pairs,
            "duration": self.duration,
            "timing_noise": self.timing_noise,
            "reasons": dict(self.reasons),
        }


def _band_power(t: np.ndarray, x: np.ndarray, lf_band, hf_band) -> tuple[float, float]:
    """LF and HF power (units of x squared) by the Lomb-Scargle periodogram.

    The periodogram of the unevenly sampled NN series (mean removed) is scaled so that it
    integrates to the series' variance up to the Nyquist frequency of the mean interval;
    intervals left out (flagged) are gaps, not interpolated.
    """
    x = x - x.mean()
    if not np.any(x):
        return 0.0, 0.0
    f_max = 0.5 / np.mean(np.diff(t))
    freqs = np.linspace(0.001, f_max, 2048)
    p = sps.lombscargle(t, x, 2 * np.pi * freqs)
    df = freqs[1] - freqs[0]
    psd = p * (np.var(x) / (np.sum(p) * df))

    def power(band):
        sel = (freqs >= band[0]) & (freqs < band[1])
        return float(np.sum(psd[sel]) * df)

    return power(lf_band), power(hf_band)


def hrv(
    ibi_or_beats,
    *,
    hr_range=(30.0, 220.0),
    max_deviation: float = 0.25,
    min_intervals: int = 10,
    max_flagged: float = 0.2,
    max_noise_share: float = 0.5,
    noise_tolerance: float = 2.0,
    lf_band=(0.04, 0.15),
    hf_band=(0.15, 0.4),
) -> HRV:
    """Time-domain HRV (mean NN, SDNN, RMSSD, pNN50) and LF/HF of inter-beat intervals.

    Parameters
    ----------
    ibi_or_beats : Beats or array-like of shape (n,)
        The result of :func:`detect_beats` (its interval qualities are used as they are),
        or consecutive inter-beat intervals in seconds (they are labelled here by
        :func:`classify_intervals` with ``hr_range`` and ``max_deviation``).
    hr_range : (float, float), default=(30.0, 220.0)
        Plausible heart rates in bpm (array input only).
    max_deviation : float, default=0.25
        Ectopic rule of :func:`classify_intervals` (array input only).
    min_intervals : int, default=10
        Fewest NN intervals for any statistic.
    max_flagged : float, default=0.2
        Largest fraction of flagged intervals. Beyond it the beat sequence is not trusted
        (the beats that were found may be wrong too) and every statistic is NaN.
    max_noise_share : float, default=0.5
        Largest share of a statistic's variance that the beats' timing noise may explain
        (only with a :class:`Beats` input, which estimates that noise, see
        :attr:`Beats.timing_noise`). Noise of standard deviation ``s`` on each beat time
        adds ``2 s^2`` to ``sdnn**2`` and ``6 s^2`` to ``rmssd**2``; when that is more than
        ``max_noise_share`` of the measured value squared, the statistic (and for
        ``rmssd`` also ``pnn50``, ``lf``, ``hf`` and ``lf_hf``, which white noise
        inflates alike) is NaN: at the default the statistic is at most 41 % above the
        noise-free value. This is what refuses the RMSSD of most camera (rPPG) signals,
        whose beat times at 30 frames/s wander by 10-30 ms.
    noise_tolerance : float, default=2.0
        Noise contribution in ms that is accepted whatever its share: a statistic is
        refused only when the timing noise alone would give more than this (timing
        noise raises a statistic by at most that much).
    lf_band, hf_band : (float, float), default=(0.04, 0.15) and (0.15, 0.4)
        Frequency bands in Hz (Task Force 1996).

    Returns
    -------
    HRV
        ``mean_nn``, ``sdnn``, ``rmssd`` (ms), ``pnn50`` (%), ``lf``, ``hf`` (ms^2),
        ``lf_hf``, counts and ``reasons``.

    Warns
    -----
    EstimationWarning
        Once, naming every statistic returned as NaN and why.

    Notes
    -----
    Flagged intervals (quality other than ``"normal"``: ectopic or implausible) are left
    out, never corrected or interpolated: ``mean_nn`` and ``sdnn`` are over the NN
    intervals; ``rmssd`` and ``pnn50`` over the successive differences whose two intervals
    are both NN (a flagged interval breaks the chain on both sides); LF and HF come from
    the Lomb-Scargle periodogram of the NN intervals at their own times, which needs no
    resampling and treats the left-out intervals as gaps (Clifford & Tarassenko 2005).

    LF/HF needs at least :data:`MIN_LF_DURATION` (120 s) of intervals: ten cycles of the
    LF band's centre, about the 2 minutes the Task Force of the ESC/NASPE (1996) sets as
    the least for LF. Below that ``lf``, ``hf`` and ``lf_hf`` are NaN with a warning.

    The timing-noise rule sees the noise that moves a beat's peak and its upstroke
    differently. A waveform whose beats are shifted whole escapes it: the output of a
    learned model, which draws each beat in a regular shape, is the case in point. On
    synthetic videos the shipped model's RMSSD is given with errors of tens of ms
    (``docs/benchmarks/hrv.md``); do not trust RMSSD, pNN50 or LF/HF of a camera signal
    that no contact reference has confirmed.

    Pulse-rate variability from a PPG is not quite heart-rate variability: the pulse
    transit time varies too, and adds to RMSSD (on the iphys contact PPG, 27 ms against
    the ECG's 23 ms).

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import hrv
    >>> t = np.arange(190) * 0.8
    >>> ibi = 0.8 + 0.04 * np.sin(2 * np.pi * 0.25 * t)  # sinus arrhythmia at 0.25 Hz
    >>> h = hrv(ibi)
    >>> round(h.mean_nn, 1), round(h.sdnn, 1), round(h.rmssd, 1), h.pnn50, h.lf_hf < 0.01
    (800.0, 28.4, 33.2, 0.0, True)
    """
    lo_hi = _check_pair(hr_range, "hr_range", 1.0, 600.0)
    max_deviation = _check_fraction(max_deviation, "max_deviation")
    min_intervals = check_int(min_intervals, "min_intervals", 2)
    max_flagged = _check_fraction(max_flagged, "max_flagged")
    max_noise_share = _check_fraction(max_noise_share, "max_noise_share")
    ok = isinstance(noise_tolerance, numbers.Real) and not isinstance(noise_tolerance, bool)
    if not (ok and np.isfinite(noise_tolerance) and noise_tolerance >= 0):
        raise ValueError(f"noise_tolerance must be a number of ms >= 0; got {noise_tolerance!r}")
    lf_band = _check_pair(lf_band, "lf_band", 0.0, np.inf)
    hf_band = _check_pair(hf_band, "hf_band", 0.0, np.inf)

    if isinstance(ibi_or_beats, Beats):
        ibi = np.asarray(ibi_or_beats.ibi, dtype=np.float64)
        quality = np.asarray(ibi_or_beats.ibi_quality)
        noise = ibi_or_beats.timing_noise * 1000.0
    else:
        ibi = np.asarray(ibi_or_beats, dtype=np.float64)
        if ibi.ndim != 1:
            raise ValueError(
                f"ibi_or_beats must be a Beats result or a 1-D array of intervals in s; "
                f"got an array of shape {ibi.shape}"
            )
        if ibi.size == 0:
            raise ValueError("ibi_or_beats holds no intervals")
        quality = classify_intervals(ibi, hr_range=lo_hi, max_deviation=max_deviation)
        noise = float("nan")

    nan = float("nan")
    n = int(ibi.size)
    nn_mask = quality == "normal"
    pair = nn_mask[1:] & nn_mask[:-1]
    ms = ibi * 1000.0
    out = dict.fromkeys(("mean_nn", "mean_hr", "sdnn", "rmssd", "pnn50", "lf", "hf", "lf_hf"), nan)
    reasons: dict[str, str] = {}
    duration = float(np.sum(ibi))

    def refuse(keys, why):
        for k in keys:
            if k not in reasons:
                out[k] = nan
                reasons[k] = why

    everything = tuple(out)
    if n and np.mean(~nn_mask) > max_flagged:
        refuse(
            everything,
            f"{int(np.sum(~nn_mask))} of {n} intervals are flagged (more than "
            f"{100 * max_flagged:g} %): the beat sequence is not reliable",
        )
    elif nn_mask.sum() < min_intervals:
        refuse(everything, f"only {int(nn_mask.sum())} NN intervals (at least {min_intervals})")
    else:
        nn = ms[nn_mask]
        out["mean_nn"] = float(nn.mean())
        out["mean_hr"] = 60000.0 / out["mean_nn"]
        out["sdnn"] = float(nn.std(ddof=1))
        succ = np.diff(ms)[pair]
        if succ.size >= 2:
            out["rmssd"] = float(np.sqrt(np.mean(succ * succ)))
            out["pnn50"] = float(100.0 * np.mean(np.abs(succ) > 50.0))
        else:
            refuse(("rmssd", "pnn50"), f"only {succ.size} successive NN pairs")
        if np.isfinite(noise):

            def noisy(factor, value):
                floor2 = factor * noise**2
                return floor2 > noise_tolerance**2 and floor2 > max_noise_share * value**2

            if noisy(2, out["sdnn"]):
                refuse(("sdnn",), _noise_reason(noise, 2, out["sdnn"], "SDNN"))
            if np.isfinite(out["rmssd"]) and noisy(6, out["rmssd"]):
                refuse(
                    ("rmssd", "pnn50", "lf", "hf", "lf_hf"),
                    _noise_reason(noise, 6, out["rmssd"], "RMSSD"),
                )
        if duration < MIN_LF_DURATION:
            refuse(
                ("lf", "hf", "lf_hf"),
                f"the recording spans {duration:.0f} s of intervals; LF/HF needs at least "
                f"{MIN_LF_DURATION:g} s",
            )
        if "lf_hf" not in reasons:
            t = np.cumsum(ibi)[nn_mask]
            lf, hf = _band_power(t, nn, lf_band, hf_band)
            out["lf"], out["hf"] = lf, hf
            out["lf_hf"] = lf / hf if hf > 0 else nan
            if not hf > 0:
                reasons["lf_hf"] = "no power in the HF band"

    if reasons:
        grouped: dict[str, list[str]] = {}
        for k, why in reasons.items():
            grouped.setdefault(why, []).append(k)
        listed = "; ".join(f"{', '.join(keys)}: {why}" for why, keys in grouped.items())
        warnings.warn(f"HRV statistics returned as NaN: {listed}", EstimationWarning, stacklevel=2)
    return HRV(
        **out,
        n_intervals=n,
        n_nn=int(nn_mask.sum()),
        n_pairs=int(pair.sum()),
        duration=duration,
        timing_noise=noise,
        reasons=reasons,
    )


def _noise_reason(noise: float, factor: int, value: float, name: str) -> str:
    floor = np.sqrt(factor) * noise
    return (
        f"beat timing noise of about {noise:.1f} ms alone would give a {name} of "
        f"{floor:.1f} ms, too much of the measured {value:.1f} ms"
    )
