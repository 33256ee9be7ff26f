"""Respiration rate from the respiratory modulations of a pulse waveform."""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import interpolate
from scipy import signal as sps

from .._validation import check_int
from ..exceptions import EstimationWarning
from ._beats import Beats, _check_fraction, _check_pair, detect_beats
from ._validation import check_fs, check_signal

__all__ = ["MODULATIONS", "Respiration", "respiration_rate"]

#: The three respiratory modulations of a pulse waveform (Karlen et al. 2013).
MODULATIONS = ("amplitude", "baseline", "rate")

_RESAMPLE = 4.0  # Hz, even grid of the beat-by-beat series
_MIN_CYCLES = 3.0  # cycles of the slowest rate of the band a window must hold
# Least depth of a modulation taken as breathing: its sinusoid's amplitude relative to the
# median pulse amplitude (amplitude, baseline) or to the mean beat rate (rate). Breathing
# modulates beat amplitude and baseline by 5-20 % and the rate by 2-10 % (Charlton et al.
# 2016); what is smaller is read as an artefact, such as the sampling-grid pattern of beat
# heights and times when the heart rate and the frame rate are near a simple ratio.
_MIN_DEPTH = {"amplitude": 0.02, "baseline": 0.02, "rate": 0.005}


@dataclass(frozen=True, eq=False)
class Respiration:
    """Respiration rate of a pulse waveform, as estimated by :func:`respiration_rate`.

    Attributes
    ----------
    value : float
        Breaths per minute; NaN when no reliable rate could be given (see ``reason``).
    quality : float
        In [0, 1]: the mean spectral concentration of the modulations that agree on
        ``value`` (the share of their in-band power at the respiratory peak, 1 for a pure
        breathing oscillation), times the share of the three that agree. 0 when ``value``
        is NaN.
    reason : str
        Empty when ``value`` is a number, otherwise why it is not.
    components : dict of str to dict
        Per modulation (``"amplitude"``, ``"baseline"``, ``"rate"``): ``rate`` (breaths/min
        of its spectral peak), ``concentration`` and ``depth`` (see
        :func:`respiration_rate`) and ``used`` (whether it entered ``value``).
    n_beats : int
        Normal beats behind the modulation series.
    duration : float
        Length of the waveform in seconds.
    """

    value: float
    quality: float
    reason: str
    components: dict = field(default_factory=dict)
    n_beats: int = 0
    duration: float = 0.0

    def as_dict(self) -> dict:
        """The estimate as a plain dict (for JSON or a DataFrame row)."""
        return {
            "value": self.value,
            "quality": self.quality,
            "reason": self.reason,
            "components": {k: dict(v) for k, v in self.components.items()},
            "n_beats": self.n_beats,
            "duration": self.duration,
        }


def _series(beats: Beats, y_base: np.ndarray, fs: float) -> tuple[np.ndarray, dict]:
    """Beat-by-beat modulation series at their beat times, normal beats only."""
    normal = (beats.quality == "normal") & np.isfinite(beats.amplitudes)
    t = beats.times[normal]
    onset = beats.onsets[normal]
    level = interpolate.CubicSpline(np.arange(y_base.size) / fs, y_base)
    peak_level = level(t)
    foot_level = level(onset)
    series = {
        "amplitude": (t, beats.amplitudes[normal]),
        "baseline": (t, 0.5 * (peak_level + foot_level)),
    }
    # The rate: each normal interval at its midpoint (both ends normal beats).
    ok = beats.ibi_quality == "normal"
    series["rate"] = (0.5 * (beats.times[1:] + beats.times[:-1])[ok], 60.0 / beats.ibi[ok])
    return t, series


def _spectral_peak(t, v, band, span) -> tuple[float, float, float]:
    """(in-band peak frequency, share of in-band power in its main lobe, its amplitude)."""
    if t.size < 4:
        return np.nan, 0.0, 0.0
    grid = np.arange(t[0], t[-1], 1.0 / _RESAMPLE)
    if grid.size < 8:
        return np.nan, 0.0, 0.0
    u = interpolate.PchipInterpolator(t, v)(grid)
    u = sps.detrend(u)
    if not np.any(u):
        return np.nan, 0.0, 0.0
    nfft = max(4096, 1 << (8 * grid.size - 1).bit_length())
    f, p = sps.periodogram(u, fs=_RESAMPLE, window="hann", nfft=nfft, detrend=False)
    sel = (f >= band[0]) & (f <= band[1])
    fb, pb = f[sel], p[sel]
    k = int(np.argmax(pb))
    if k == 0 or k == pb.size - 1:
        # the maximum at a band edge: the spectrum still rises beyond it, no in-band peak
        return np.nan, 0.0, 0.0
    y0, y1, y2 = np.log(pb[k - 1 : k + 2] + 1e-300)
    denom = y0 - 2 * y1 + y2
    shift = 0.5 * (y0 - y2) / denom if denom < 0 else 0.0
    f_peak = fb[k] + shift * (fb[1] - fb[0])
    # Hann main lobe: +-2 frequency resolutions of the window length.
    lobe = np.abs(fb - f_peak) <= 2.0 / span
    # Amplitude of the least-squares sinusoid at the peak frequency.
    amp = 2.0 * np.abs(np.mean(u * np.exp(-2j * np.pi * f_peak * (grid - grid[0]))))
    return float(f_peak), float(pb[lobe].sum() / pb.sum()), float(amp)


def respiration_rate(
    x,
    fs: float,
    *,
    beats: Beats | None = None,
    band=(0.1, 0.7),
    min_concentration: float = 0.3,
    max_spread: float = 2.0,
    min_agree: int = 2,
    max_flagged: float = 0.2,
) -> Respiration:
    """Breathing rate (breaths/min) from the respiratory modulations of a pulse waveform.

    Breathing modulates a pulse waveform three ways (Karlen et al. 2013; Charlton et al.
    2016): the beat amplitude (stroke volume, RIAV), the baseline (venous return, RIIV) and
    the beat rate (respiratory sinus arrhythmia, RIFV). Each is measured beat by beat on the
    beats of :func:`detect_beats`, interpolated to an even 4 Hz grid (monotone cubic),
    detrended and Hann-windowed; its rate is the periodogram's peak in ``band`` and its
    *concentration* the share of the in-band power within the Hann main lobe around that
    peak, its *depth* the amplitude of the sinusoid there relative to the median pulse
    amplitude (amplitude, baseline) or to the mean beat rate (rate). The fusion keeps the
    modulations with a concentration of at least ``min_concentration`` and a depth of at
    least 2 % (amplitude, baseline) or 0.5 % (rate): breathing modulates by 5-20 % and 2-10
    % (Charlton et al. 2016), and what is shallower is taken for an artefact, such as the
    pattern that the sampling grid leaves on beat heights and times when the heart rate and
    the frame rate are near a simple ratio. It then finds the largest group of them whose
    rates lie within ``max_spread`` breaths/min of each other, and returns their
    concentration-weighted mean rate if the group has at least ``min_agree`` members and
    every modulation with a clear peak is in it; otherwise NaN, with the reason (Karlen's
    "smart fusion" likewise answers only when the modulations agree). Amplitude and baseline
    are read from the same peaks and feet, so they can agree on an artefact of the waveform
    (a periodic join of clip predictions, say) that the rate does not share: a clear rate
    peak elsewhere then vetoes them.

    Parameters
    ----------
    x : array-like of shape (T,)
        One pulse waveform, systolic peaks up (as for :func:`detect_beats`).
    fs : float
        Sampling rate in Hz.
    beats : Beats, optional
        The beats of ``x`` if already found (``detect_beats(x, fs)`` otherwise).
    band : (float, float), default=(0.1, 0.7)
        Respiratory band in Hz (6-42 breaths/min). Its upper edge is lowered to 45 % of the
        mean beat rate when that is lower: a beat-by-beat series cannot carry a breathing
        rate above half the heart rate.
    min_concentration : float, default=0.3
        Least spectral concentration of a modulation to take part, in (0, 1). White noise
        has about ``4 / (duration * band width)`` (0.11 in 60 s over 0.6 Hz).
    max_spread : float, default=2.0
        Largest spread (max - min) in breaths/min of the rates of agreeing modulations.
    min_agree : int, default=2
        Fewest agreeing modulations for a value (1 to 3).
    max_flagged : float, default=0.2
        Largest fraction of flagged beat intervals (as in :func:`hrv`); beyond it the
        beat series is not trusted and the value is NaN.

    Returns
    -------
    Respiration
        ``value`` (breaths/min or NaN), ``quality``, ``reason`` and the ``components``.

    Warns
    -----
    EstimationWarning
        When ``value`` is NaN, with the reason.

    Notes
    -----
    The waveform must hold at least three cycles of the slowest rate of ``band`` (30 s at
    the default 0.1 Hz); shorter ones give NaN. Only normal beats (quality ``"normal"``)
    enter the series: flagged beats are left out and the series interpolated across
    them. The baseline is read from the waveform band-passed from 0.05 Hz (below the
    band) to the upper edge of the beat filter, so that breathing is not filtered away
    with the slow drift.

    The baseline modulation of an rPPG signal depends on the method: POS and CHROM
    normalise each colour channel by its mean over a 1.6 s window, which removes most of
    a slow baseline; the amplitude and rate modulations survive.

    References: W. Karlen et al., "Multiparameter respiratory rate estimation from the
    photoplethysmogram", IEEE Trans. Biomed. Eng. 60(7):1946-1953 (2013); P. H. Charlton
    et al., "An assessment of algorithms to estimate respiratory rate from the
    electrocardiogram and photoplethysmogram", Physiol. Meas. 37(4):610-626 (2016).

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import respiration_rate
    >>> fs = 30.0
    >>> t = np.arange(0, 60, 1 / fs)
    >>> breath = np.sin(2 * np.pi * 0.25 * t)  # 15 breaths/min
    >>> phase = 1.2 * t + 0.03 * np.sin(2 * np.pi * 0.25 * t - 1.0)  # 72 bpm with RSA
    >>> beat = np.exp(-(((phase % 1) - 0.3) / 0.1) ** 2)
    >>> x = (1 + 0.2 * breath) * beat + 0.2 * breath
    >>> est = respiration_rate(x, fs)
    >>> round(est.value, 1), est.reason
    (15.0, '')
    """
    fs = check_fs(fs)
    arr = check_signal(x, min_length=3)
    if arr.ndim != 1:
        raise ValueError(f"x must be one waveform of shape (T,); got shape {arr.shape}")
    low, high = _check_pair(band, "band", 0.0, fs / 2)
    if low <= 0:
        raise ValueError(f"band must have a positive lower edge; got {band!r}")
    min_concentration = _check_fraction(min_concentration, "min_concentration")
    max_flagged = _check_fraction(max_flagged, "max_flagged")
    if (
        isinstance(max_spread, bool)
        or not isinstance(max_spread, numbers.Real)
        or not np.isfinite(max_spread)
        or max_spread <= 0
    ):
        raise ValueError(f"max_spread must be a positive number of breaths/min; got {max_spread!r}")
    min_agree = check_int(min_agree, "min_agree", 1, 3, expected="1, 2 or 3")
    duration = arr.size / fs
    if beats is not None and not isinstance(beats, Beats):
        raise ValueError(
            f"beats must be a Beats result of detect_beats; got {type(beats).__name__}"
        )
    if beats is not None and (beats.fs != fs or abs(beats.duration - duration) > 0.5 / fs):
        raise ValueError(
            f"beats were found on another signal (fs={beats.fs:g} Hz, {beats.duration:g} s); "
            f"x has fs={fs:g} Hz and {duration:g} s"
        )

    def refuse(reason, components=None, n=0):
        warnings.warn(
            f"respiration rate not estimated: {reason}; returned NaN",
            EstimationWarning,
            stacklevel=3,
        )
        return Respiration(np.nan, 0.0, reason, components or {}, n, duration)

    need = _MIN_CYCLES / low
    if duration < need:
        return refuse(
            f"the signal lasts {duration:.1f} s; {need:.0f} s are needed ({_MIN_CYCLES:g} "
            f"cycles at the band's lowest rate of {60 * low:g} breaths/min)"
        )
    if beats is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)
            beats = detect_beats(arr, fs)
    n_normal = int(np.sum(beats.quality == "normal"))
    if beats.ibi.size < 4 or n_normal < 4:
        return refuse(f"only {n_normal} normal beats were found", n=n_normal)
    flagged = beats.n_flagged / beats.ibi.size
    if flagged > max_flagged:
        # Gaps bridged by interpolation put slow bumps into the series that look like breaths.
        return refuse(
            f"{beats.n_flagged} of {beats.ibi.size} beat intervals are flagged (more than "
            f"{100 * max_flagged:g} %): the beat series is not reliable",
            n=n_normal,
        )
    beat_rate = 1.0 / np.median(beats.ibi)
    high_eff = min(high, 0.45 * beat_rate)
    if high_eff <= low:
        return refuse(
            f"the beat rate ({60 * beat_rate:.0f} bpm) is too low to carry breathing in the "
            f"band ({60 * low:g}-{60 * high:g} breaths/min)",
            n=n_normal,
        )

    base_high = beats.band[1]
    sos = sps.butter(2, [0.05, base_high], btype="bandpass", fs=fs, output="sos")
    y_base = sps.sosfiltfilt(sos, arr, padlen=min(arr.size - 1, 15))
    _, series = _series(beats, y_base, fs)
    span = beats.times[-1] - beats.times[0]
    components = {}
    pulse_amplitude = np.nanmedian(beats.amplitudes[beats.quality == "normal"])
    for name in MODULATIONS:
        t, v = series[name]
        f_peak, conc, amp = _spectral_peak(t, v, (low, high_eff), span)
        scale = np.mean(v) if name == "rate" else pulse_amplitude
        components[name] = {
            "rate": 60.0 * f_peak,
            "concentration": conc,
            "depth": float(amp / scale) if scale > 0 else 0.0,
            "used": False,
        }

    clear = [
        k
        for k, c in components.items()
        if np.isfinite(c["rate"])
        and c["concentration"] >= min_concentration
        and c["depth"] >= _MIN_DEPTH[k]
    ]
    group = _largest_group(clear, components, max_spread)
    if len(group) < min_agree or len(group) < len(clear):
        listed = ", ".join(
            f"{k} {c['rate']:.1f}/min (concentration {c['concentration']:.2f}, "
            f"depth {100 * c['depth']:.1f} %)"
            for k, c in components.items()
        )
        if not clear:
            what = "no modulation has a clear respiratory peak"
        elif len(group) < len(clear):
            what = f"the modulations with a clear peak disagree (by more than {max_spread:g}/min)"
        else:
            what = f"fewer than {min_agree} modulations have a clear respiratory peak"
        return refuse(
            f"{what}: {listed}",
            components,
            n_normal,
        )
    w = np.array([components[k]["concentration"] for k in group])
    rates = np.array([components[k]["rate"] for k in group])
    for k in group:
        components[k]["used"] = True
    value = float(np.sum(w * rates) / np.sum(w))
    quality = float(np.mean(w) * len(group) / len(MODULATIONS))
    return Respiration(value, quality, "", components, n_normal, duration)


def _largest_group(names: list[str], components: dict, max_spread: float) -> list[str]:
    """The largest set of modulations whose rates span at most ``max_spread``.

    Ties go to the set with the larger total concentration.
    """
    best: list[str] = []
    best_key = (0, 0.0)
    ordered = sorted(names, key=lambda k: components[k]["rate"])
    for i in range(len(ordered)):
        for j in range(i, len(ordered)):
            members = ordered[i : j + 1]
            spread = components[members[-1]]["rate"] - components[members[0]]["rate"]
            if spread > max_spread:
                break
            key = (len(members), sum(components[k]["concentration"] for k in members))
            if key > best_key:
                best, best_key = members, key
    return best
