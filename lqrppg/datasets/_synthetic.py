"""Synthetic facial rPPG videos with a known clean pulse and controlled contact-PPG label noise.

The generator is the one test bed of the package where the true blood-volume pulse at the face
is known exactly and the noise of the contact-PPG training label can be dialled in component
by component. Everything is drawn from ``random_state`` through a tree of
:class:`numpy.random.SeedSequence` objects keyed by subject id, video index and purpose, so that
a subject renders identically whatever else is asked for in the same call.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import interpolate, ndimage
from scipy import signal as sps
from sklearn.utils import Bunch, check_random_state

from .._validation import check_int, check_real

__all__ = ["make_synthetic_rppg"]

# Relative pulsatile modulation of R, G, B of skin (the normalised blood-volume-pulse
# signature of de Haan & van Leest 2014); green is the strongest.
_BLOOD_SIGNATURE = np.array([0.33, 0.77, 0.53])

# Diffuse RGB albedo of the six Fitzpatrick skin types (fraction of full scale under a
# neutral illuminant at nominal exposure; type I ~ (204, 158, 133), type VI ~ (64, 38, 26)).
_FITZPATRICK_ALBEDO = np.array(
    [
        [0.80, 0.62, 0.52],
        [0.74, 0.55, 0.44],
        [0.66, 0.46, 0.35],
        [0.54, 0.36, 0.26],
        [0.40, 0.25, 0.17],
        [0.25, 0.15, 0.10],
    ]
)

_HAIR_COLOURS = np.array(
    [
        [0.05, 0.04, 0.035],  # black
        [0.12, 0.08, 0.05],  # dark brown
        [0.26, 0.17, 0.10],  # brown
        [0.58, 0.45, 0.27],  # blonde
        [0.46, 0.19, 0.08],  # red
        [0.52, 0.51, 0.50],  # grey
    ]
)
# Probability of each hair colour given the skin type (rows: I-II, III, IV-VI).
_HAIR_PROBS = np.array(
    [
        [0.10, 0.20, 0.25, 0.25, 0.10, 0.10],
        [0.30, 0.30, 0.20, 0.10, 0.03, 0.07],
        [0.70, 0.20, 0.03, 0.00, 0.00, 0.07],
    ]
)
_IRIS_COLOURS = np.array([[0.10, 0.06, 0.04], [0.22, 0.14, 0.08], [0.20, 0.30, 0.40]])

_LABEL_NOISE_PRESETS: dict[str, dict[str, Any]] = {
    "none": {
        "delay": (0.0, 0.0),
        "morphology": 0.0,
        "amplitude": 0.0,
        "baseline": 0.0,
        "artifact_rate": 0.0,
        "artifact_amplitude": 0.0,
        "dropout_rate": 0.0,
        "clipping": 0.0,
        "noise": 0.0,
    },
    "mild": {
        "delay": (0.05, 0.25),
        "morphology": 0.3,
        "amplitude": 0.1,
        "baseline": 0.15,
        "artifact_rate": 1.0,
        "artifact_amplitude": 1.5,
        "dropout_rate": 0.0,
        "clipping": 0.0,
        "noise": 0.05,
    },
    "moderate": {
        "delay": (0.05, 0.25),
        "morphology": 0.6,
        "amplitude": 0.25,
        "baseline": 0.4,
        "artifact_rate": 3.0,
        "artifact_amplitude": 2.5,
        "dropout_rate": 0.5,
        "clipping": 0.02,
        "noise": 0.15,
    },
    "severe": {
        "delay": (0.05, 0.25),
        "morphology": 1.0,
        "amplitude": 0.4,
        "baseline": 0.8,
        "artifact_rate": 6.0,
        "artifact_amplitude": 4.0,
        "dropout_rate": 1.5,
        "clipping": 0.05,
        "noise": 0.3,
    },
}
# (low, high) admissible value of each scalar label-noise component.
_LABEL_NOISE_BOUNDS = {
    "morphology": (0.0, 1.0),
    "amplitude": (0.0, 0.95),
    "baseline": (0.0, 100.0),
    "artifact_rate": (0.0, 60.0),
    "artifact_amplitude": (0.0, 100.0),
    "dropout_rate": (0.0, 60.0),
    "clipping": (0.0, 0.5),
    "noise": (0.0, 100.0),
}
_MAX_DELAY = 1.0
_MAX_EVENT_RATE = 60.0  # candidate events per minute, thinned to the requested rate

_MOTION_PRESETS: dict[str, dict[str, float]] = {
    "none": {"translation": 0.0, "rotation": 0.0, "scale": 0.0, "bandwidth": 0.1},
    "mild": {"translation": 0.005, "rotation": 0.5, "scale": 0.004, "bandwidth": 0.1},
    "moderate": {"translation": 0.02, "rotation": 2.0, "scale": 0.015, "bandwidth": 0.4},
    "severe": {"translation": 0.05, "rotation": 5.0, "scale": 0.04, "bandwidth": 1.0},
}
_MOTION_BOUNDS = {
    "translation": (0.0, 0.25),
    "rotation": (0.0, 45.0),
    "scale": (0.0, 0.25),
    "bandwidth": (1e-3, np.inf),
}

_ILLUMINATION_PRESETS: dict[str, dict[str, float]] = {
    "none": {"drift": 0.0, "color": 0.0, "flicker": 0.0, "flicker_freq": 100.0, "bandwidth": 0.05},
    "mild": {
        "drift": 0.02,
        "color": 0.01,
        "flicker": 0.002,
        "flicker_freq": 100.0,
        "bandwidth": 0.05,
    },
    "moderate": {
        "drift": 0.06,
        "color": 0.03,
        "flicker": 0.005,
        "flicker_freq": 100.0,
        "bandwidth": 0.2,
    },
    "severe": {
        "drift": 0.15,
        "color": 0.06,
        "flicker": 0.01,
        "flicker_freq": 100.0,
        "bandwidth": 0.5,
    },
}
_ILLUMINATION_BOUNDS = {
    "drift": (0.0, 0.3),
    "color": (0.0, 0.3),
    "flicker": (0.0, 0.2),
    "flicker_freq": (0.0, np.inf),
    "bandwidth": (1e-3, np.inf),
}

# Seed-tree keys of the independent random streams of one video.
_STREAM_PULSE, _STREAM_SCENE, _STREAM_MOTION, _STREAM_LIGHT = 0, 1, 2, 3
_STREAM_LABEL, _STREAM_SENSOR, _STREAM_SOURCE = 4, 5, 6

_PULSE_GRID_RATE = 100.0  # Hz, grid on which the instantaneous pulse rate is integrated
_MARGIN = 1.5  # s of pulse simulated either side of the clip (label delay, filters)
_CHUNK = 64  # frames rendered at a time


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def _check_range(value, name: str, low: float, high: float) -> tuple[float, float]:
    """A number or an ordered pair inside [low, high]."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = (value, value)
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a number or a pair (low, high) with {low} <= low <= high <= "
            f"{high}, got {value!r}"
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and low <= lo <= hi <= high):
        raise ValueError(
            f"{name} must be a number or a pair (low, high) with {low} <= low <= high <= "
            f"{high}, got {value!r}"
        )
    return lo, hi


def _resolve_components(value, name: str, presets, bounds) -> dict[str, Any]:
    """Turn a preset name or a dict of components into a complete, validated dict."""
    if value is None:
        value = "none"
    if isinstance(value, str):
        if value not in presets:
            raise ValueError(
                f"{name} must be one of {sorted(presets)} or a dict of components, got {value!r}"
            )
        return dict(presets[value])
    if not isinstance(value, Mapping):
        raise ValueError(
            f"{name} must be one of {sorted(presets)} or a dict of components, "
            f"got {type(value).__name__}"
        )
    allowed = sorted(presets["none"])
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ValueError(f"{name} has unknown component(s) {unknown}; allowed keys are {allowed}")
    out = dict(presets["none"])
    for key, val in value.items():
        if key == "delay":
            out[key] = _check_range(val, f"{name}['delay']", 0.0, _MAX_DELAY)
        else:
            low, high = bounds[key]
            out[key] = check_real(val, f"{name}[{key!r}]", low, high, open_high=False)
    return out


def _check_frame_size(frame_size) -> tuple[int, int]:
    msg = f"frame_size must be a pair of integers (height, width), each >= 8, got {frame_size!r}"
    if isinstance(frame_size, str | bytes) or not isinstance(frame_size, Sequence):
        raise ValueError(msg)
    if len(frame_size) != 2:
        raise ValueError(msg)
    for v in frame_size:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 8:
            raise ValueError(msg)
    return int(frame_size[0]), int(frame_size[1])


def _check_dtype(dtype) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.uint8), np.dtype(np.float32)):
        raise ValueError(f"dtype must be numpy.uint8 or numpy.float32, got {dtype!r}")
    return dt


def _check_skin_types(skin_types) -> np.ndarray:
    msg = (
        "skin_types must be a non-empty sequence of Fitzpatrick types (integers 1 to 6), "
        f"got {skin_types!r}"
    )
    if isinstance(skin_types, numbers.Integral) and not isinstance(skin_types, bool):
        skin_types = [skin_types]
    if isinstance(skin_types, str | bytes) or not isinstance(skin_types, Sequence | np.ndarray):
        raise ValueError(msg)
    out = []
    for v in skin_types:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 1 <= v <= 6:
            raise ValueError(msg)
        out.append(int(v))
    if not out:
        raise ValueError(msg)
    return np.array(sorted(set(out)))


def _root_entropy(random_state):
    """Entropy for the seed tree; an int seeds it directly so pieces of a set line up."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer, got {random_state}")
        return int(random_state)
    if isinstance(random_state, np.random.Generator):
        return [int(v) for v in random_state.integers(0, 2**32, size=4)]
    try:
        rs = check_random_state(random_state)
    except ValueError:
        raise ValueError(
            "random_state must be None, an integer >= 0, a numpy RandomState or a numpy "
            f"Generator, got {random_state!r}"
        ) from None
    return [int(v) for v in rs.randint(0, 2**32, size=4, dtype=np.uint64)]


def _rng(entropy, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=key))


# --------------------------------------------------------------------------------------------
# random processes
# --------------------------------------------------------------------------------------------
def _band_noise(rng: np.random.Generator, n: int, fs: float, f_lo: float, f_hi: float):
    """Gaussian noise band-limited to [f_lo, f_hi] Hz with unit standard deviation.

    Always draws ``n`` normals, so the same stream gives the same shape for any band.
    """
    white = rng.standard_normal(n)
    spec = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(n, d=1.0 / fs)
    keep = (freqs >= f_lo) & (freqs <= f_hi) & (freqs > 0)
    if not keep.any():  # band narrower than the resolution: keep the slowest oscillation
        keep[min(1, keep.size - 1)] = True
    spec[~keep] = 0.0
    out = np.fft.irfft(spec, n)
    sd = out.std()
    return out / sd if sd > 0 else out


# --------------------------------------------------------------------------------------------
# pulse models
# --------------------------------------------------------------------------------------------
def _draw_beat_shapes(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Face and finger beat templates: (3 waves, [centre, width, amplitude]) in beat phase.

    Three Gaussian waves per beat: systolic, reflected (dicrotic) and diastolic. The face
    pulse is smoother; the finger (label) pulse has a sharper systolic wave and a more
    pronounced dicrotic wave, as in contact PPG.
    """
    u = rng.uniform(size=12)
    mu1 = 0.20 + 0.08 * u[0]
    mu2 = mu1 + 0.22 + 0.08 * u[1]
    mu3 = mu2 + 0.10 + 0.10 * u[2]
    face = np.array(
        [
            [mu1, 0.10 + 0.04 * u[3], 1.0],
            [mu2, 0.08 + 0.04 * u[4], 0.10 + 0.20 * u[5]],
            [mu3, 0.12 + 0.06 * u[6], 0.10 + 0.15 * u[7]],
        ]
    )
    finger = face.copy()
    finger[0, 0] -= 0.03 + 0.03 * u[8]
    finger[0, 1] *= 0.55 + 0.20 * u[9]
    finger[1, 1] *= 0.60 + 0.25 * u[10]
    finger[1, 2] *= 1.5 + 1.0 * u[11]
    finger[2, 2] *= 0.7
    return face, finger


class _SyntheticPulse:
    """Beat-by-beat pulse with drift, respiratory sinus arrhythmia and HRV.

    The instantaneous pulse rate is integrated to a continuous beat phase; beat ``k`` starts
    (its foot) where the phase crosses ``2 pi k``.
    """

    def __init__(self, rng, hr_bpm, duration, face_shape, finger_shape):
        rate = _PULSE_GRID_RATE
        t = np.arange(-_MARGIN, duration + _MARGIN + 0.5 / rate, 1.0 / rate)
        n = t.size
        # Slow drift is kept to about 1 bpm so that the clip's spectrum still peaks at its mean
        # rate; faster changes (RSA, HRV) only add small sidebands.
        drift = rng.uniform(0.3, 1.0) / hr_bpm * _band_noise(rng, n, rate, 0.0, 0.03)
        f_resp = rng.uniform(0.15, 0.4) * (1 + 0.05 * _band_noise(rng, n, rate, 0.0, 0.05))
        psi = 2 * np.pi * np.cumsum(f_resp) / rate + rng.uniform(0, 2 * np.pi)
        rsa = rng.uniform(0.01, 0.05)
        hrv = rng.uniform(0.005, 0.015) * _band_noise(rng, n, rate, 0.08, 0.6)
        riav = rng.uniform(0.03, 0.1)
        riiv = rng.uniform(0.05, 0.15)
        phase_riiv = rng.uniform(0, 2 * np.pi)
        amp_noise = 0.03 * _band_noise(rng, n, rate, 0.05, 0.5)
        phase0 = rng.uniform(0, 2 * np.pi)

        f = (1 + drift) * (1 + rsa * np.sin(psi)) * (1 + hrv)
        cyc = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) / rate)])
        mean_rate = (np.interp(duration, t, cyc) - np.interp(0.0, t, cyc)) / duration
        scale = hr_bpm / 60.0 / mean_rate
        self.t = t
        self.freq = f * scale  # Hz
        self.phase = 2 * np.pi * cyc * scale + phase0
        self.amp = 1.0 + riav * np.sin(psi + np.pi) + amp_noise
        self.base = riiv * np.sin(psi + phase_riiv)
        self.breathing_rate = float(np.mean(f_resp[(t >= 0) & (t < duration)]))
        self.duration = duration

        # Per-beat shape jitter: natural (face and finger) and label-only (scaled by the
        # morphology strength), drawn for every beat of the simulated span.
        n_beats = int(np.ceil(self.phase[-1] / (2 * np.pi))) + 2
        self._face = face_shape
        self._finger = finger_shape
        self._jit_nat = rng.standard_normal((n_beats, 2))
        self._jit_lab = rng.standard_normal((n_beats, 3))

    def evaluate(self, times, morphology: float = 0.0) -> np.ndarray:
        phase = np.interp(times, self.t, self.phase)
        cyc = phase / (2 * np.pi)
        k = np.floor(cyc).astype(np.intp)
        u = cyc - k
        shape = self._face + morphology * (self._finger - self._face)
        mu = np.broadcast_to(shape[:, 0], (k.size, 3)).copy()
        sig = np.broadcast_to(shape[:, 1], (k.size, 3)).copy()
        amp = np.broadcast_to(shape[:, 2], (k.size, 3)).copy()
        amp[:, 1:] *= 1 + 0.05 * self._jit_nat[k]
        if morphology > 0:
            amp[:, 1:] *= np.clip(1 + morphology * 0.3 * self._jit_lab[k, :2], 0.2, None)
            mu[:, 1] += morphology * 0.02 * self._jit_lab[k, 2]
        wave = np.sum(amp * np.exp(-0.5 * ((u[:, None] - mu) / sig) ** 2), axis=1)
        # Remove the straight line through the beat's ends so every beat starts and ends at
        # zero and consecutive beats join continuously.
        g0 = np.sum(amp * np.exp(-0.5 * (mu / sig) ** 2), axis=1)
        g1 = np.sum(amp * np.exp(-0.5 * ((1 - mu) / sig) ** 2), axis=1)
        wave -= g0 * (1 - u) + g1 * u
        return np.interp(times, self.t, self.amp) * wave + np.interp(times, self.t, self.base)

    def rate_bpm(self, times) -> np.ndarray:
        return 60.0 * np.interp(times, self.t, self.freq)

    def mean_hr(self) -> float:
        d = self.duration
        cyc = np.interp([0.0, d], self.t, self.phase) / (2 * np.pi)
        return 60.0 * float(cyc[1] - cyc[0]) / d

    def beat_times(self) -> np.ndarray:
        lo, hi = np.interp([0.0, self.duration], self.t, self.phase) / (2 * np.pi)
        ks = np.arange(np.ceil(lo), np.floor(hi) + 1)
        ks = ks[ks * 2 * np.pi < np.interp(self.duration, self.t, self.phase)]
        return np.interp(2 * np.pi * ks, self.phase, self.t)


class _SourceRecord:
    """A real PPG record prepared to drive the pulse: band-limited, normalised, beats found."""

    def __init__(self, values, rate, fs, duration, index):
        name = "pulse_source" if index is None else f"pulse_source[{index}]"
        form = "a pair (signal, rate) with a 1-D finite signal and a positive rate in Hz"
        try:
            x = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be {form}; its signal is not numeric") from None
        if x.ndim != 1:
            raise ValueError(f"{name} must be {form}; got a signal of shape {x.shape}")
        rate = check_real(rate, f"{name} rate", 0.0, open_low=True, open_high=False)
        if rate < 10.0:
            raise ValueError(f"{name} rate must be >= 10 Hz to carry a pulse, got {rate}")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{name} must be {form}; the signal has NaN or inf values")
        need = duration + 2 * _MARGIN + 4.0
        if x.size < need * rate:
            raise ValueError(
                f"{name} is {x.size / rate:.1f} s long; a clip of duration={duration} s needs "
                f"a record of at least {need:.1f} s"
            )
        if np.ptp(x) == 0:
            raise ValueError(f"{name} must be {form}; the signal is constant")
        high = min(8.0, 0.4 * fs, 0.45 * rate)
        sos = sps.butter(2, [0.4, high], btype="bandpass", fs=rate, output="sos")
        y = sps.sosfiltfilt(sos, x - x.mean())
        y /= y.std()
        f, pxx = sps.welch(y, fs=rate, nperseg=min(y.size, int(16 * rate)))
        band = (f >= 0.6) & (f <= 3.5)
        f_dom = f[band][np.argmax(pxx[band])]
        peaks, _ = sps.find_peaks(y, distance=max(1, int(0.5 * rate / f_dom)), prominence=0.3)
        t_src = np.arange(x.size) / rate
        peak_t = t_src[peaks]
        if peaks.size < 4 or peak_t[-1] - peak_t[0] < duration + 2 * _MARGIN:
            raise ValueError(
                f"{name}: could not find enough pulse beats (found {peaks.size}) over "
                f"{duration + 2 * _MARGIN:.1f} s; pass a pulsatile PPG record"
            )
        self.spline = interpolate.CubicSpline(t_src, y)
        self.phase = interpolate.PchipInterpolator(peak_t, 2 * np.pi * np.arange(peaks.size))
        self.dphase = self.phase.derivative()
        self.peak_t = peak_t
        self.first, self.last = peak_t[0] + _MARGIN, peak_t[-1] - _MARGIN - duration


class _SourcePulse:
    """The pulse of one clip cut from a real record starting at ``start`` seconds."""

    def __init__(self, record: _SourceRecord, start: float, duration: float):
        self.record = record
        self.start = start
        self.duration = duration
        self.breathing_rate = np.nan

    def evaluate(self, times, morphology: float = 0.0) -> np.ndarray:
        rec = self.record
        t = self.start + np.asarray(times, dtype=float)
        if morphology > 0:
            # Move each sample within its beat (a smooth, monotone time warp) and bend the
            # amplitude: the label beat differs in shape from the face beat.
            u = rec.phase(t) / (2 * np.pi)
            ibi = 2 * np.pi / np.maximum(rec.dphase(t), 1e-3)
            t = t + morphology * 0.1 * ibi * np.sin(2 * np.pi * u) / (2 * np.pi)
            y = rec.spline(t)
            return y + morphology * 0.25 * y**2
        return rec.spline(t)

    def rate_bpm(self, times) -> np.ndarray:
        return 60.0 * self.record.dphase(self.start + np.asarray(times)) / (2 * np.pi)

    def mean_hr(self) -> float:
        p0, p1 = self.record.phase([self.start, self.start + self.duration])
        return 60.0 * float(p1 - p0) / (2 * np.pi * self.duration)

    def beat_times(self) -> np.ndarray:
        pk = self.record.peak_t - self.start
        return pk[(pk >= 0) & (pk < self.duration)]


def _parse_pulse_source(pulse_source, fs, duration) -> list[_SourceRecord] | None:
    if pulse_source is None:
        return None
    form = "a pair (signal, rate) or a list of such pairs"

    def is_pair(obj):
        return (
            isinstance(obj, tuple | list)
            and len(obj) == 2
            and isinstance(obj[1], numbers.Real)
            and not isinstance(obj[1], bool)
        )

    if is_pair(pulse_source):
        return [_SourceRecord(pulse_source[0], pulse_source[1], fs, duration, None)]
    if isinstance(pulse_source, list | tuple) and pulse_source:
        records = []
        for i, item in enumerate(pulse_source):
            if not is_pair(item):
                raise ValueError(f"pulse_source[{i}] must be a pair (signal, rate), got {item!r}")
            records.append(_SourceRecord(item[0], item[1], fs, duration, i))
        return records
    raise ValueError(f"pulse_source must be {form}, got {type(pulse_source).__name__}")


# --------------------------------------------------------------------------------------------
# label (contact PPG) noise
# --------------------------------------------------------------------------------------------
def _draw_events(rng, duration, dur_range):
    """Candidate events at the maximal rate, each with a thinning threshold in [0, 1)."""
    n = rng.poisson(_MAX_EVENT_RATE * duration / 60.0)
    return {
        "time": rng.uniform(0, duration, n),
        "keep": rng.uniform(size=n),
        "length": rng.uniform(*dur_range, n),
        "gain": rng.uniform(0.5, 1.5, n),
        "weights": rng.standard_normal((n, 3)),
        "freqs": rng.uniform(0.3, 3.0, (n, 3)),
        "phases": rng.uniform(0, 2 * np.pi, (n, 3)),
    }


def _make_label(pulse, t, fs, params, rng, offset, scale):
    """Contact-PPG label from the pulse model and the label-noise components.

    All random draws are made whatever the magnitudes (common random numbers), and events are
    thinned from one candidate list, so a stronger setting only adds noise to a weaker one.
    """
    n = t.size
    duration = n / fs
    u_delay = rng.uniform()
    z_am = _band_noise(rng, n, fs, 0.01, 0.15)
    z_bw = _band_noise(rng, n, fs, 0.01, 0.3)
    white = rng.standard_normal(n)
    bursts = _draw_events(rng, duration, (0.3, 2.0))
    drops = _draw_events(rng, duration, (0.5, 3.0))

    lo, hi = params["delay"]
    delay = lo + u_delay * (hi - lo)
    y = (pulse.evaluate(t - delay, params["morphology"]) - offset) / scale
    y = y * np.maximum(1 + params["amplitude"] * z_am, 0.05)
    y = y + params["baseline"] * z_bw

    keep = bursts["keep"] < params["artifact_rate"] / _MAX_EVENT_RATE
    for i in np.flatnonzero(keep):
        t0, length = bursts["time"][i], bursts["length"][i]
        span = (t >= t0) & (t < t0 + length)
        if not span.any():
            continue
        ts = t[span] - t0
        w = bursts["weights"][i]
        wave = np.sum(
            w * np.sin(2 * np.pi * bursts["freqs"][i] * ts[:, None] + bursts["phases"][i]),
            axis=1,
        )
        wave *= np.sin(np.pi * ts / length) ** 2
        peak = np.max(np.abs(wave))
        if peak > 0:
            y[span] += params["artifact_amplitude"] * bursts["gain"][i] * wave / peak

    y = y + params["noise"] * white

    c = params["clipping"]
    rail_lo, rail_hi = np.quantile(y, [c / 2, 1 - c / 2]) if c > 0 else (y.min(), y.max())
    keep = drops["keep"] < params["dropout_rate"] / _MAX_EVENT_RATE
    for i in np.flatnonzero(keep):
        t0 = drops["time"][i]
        y[(t >= t0) & (t < t0 + drops["length"][i])] = rail_hi
    if c > 0:
        y = np.clip(y, rail_lo, rail_hi)
    return y, delay


# --------------------------------------------------------------------------------------------
# scene
# --------------------------------------------------------------------------------------------
def _smooth_field(rng, size=24, sigma=2.0):
    field = ndimage.gaussian_filter(rng.standard_normal((size, size)), sigma, mode="wrap")
    return field / field.std()


def _sample_field(field, xn, yn, extent=1.6):
    """Sample a field defined on [-extent, extent]^2 of face coordinates (bilinear)."""
    size = field.shape[0]
    rows = (yn + extent) / (2 * extent) * (size - 1)
    cols = (xn + extent) / (2 * extent) * (size - 1)
    return ndimage.map_coordinates(field, [rows, cols], order=1, mode="nearest")


def _draw_subject(rng, skin_types, hr_range, amp_range):
    """Everything fixed for a person, drawn in a fixed order."""
    u = rng.uniform(size=16)
    face, finger = _draw_beat_shapes(rng)
    fields = [_smooth_field(rng) for _ in range(4)]
    ftype = int(skin_types[min(int(u[0] * skin_types.size), skin_types.size - 1)])
    albedo = _FITZPATRICK_ALBEDO[ftype - 1] * (1 + 0.05 * (2 * u[1:4] - 1))
    hair_row = 0 if ftype <= 2 else (1 if ftype == 3 else 2)
    hair_idx = int(np.searchsorted(np.cumsum(_HAIR_PROBS[hair_row]), u[4] * 0.999999))
    iris_idx = 2 if (ftype <= 2 and u[5] < 0.4) else int(u[5] * 2) % 2
    a_lo, a_hi = amp_range
    return {
        "fitzpatrick": ftype,
        "albedo": albedo,
        "hair": _HAIR_COLOURS[hair_idx] * (0.85 + 0.3 * u[6]),
        "iris": _IRIS_COLOURS[iris_idx],
        "hairline": 0.65 + 0.25 * u[7] if u[8] > 0.08 else 1.2,
        "hair_length": -0.2 + 1.1 * u[9],
        "face_width": 0.31 + 0.05 * u[10],
        "face_aspect": 1.18 + 0.12 * u[11],
        "hr": hr_range[0] + u[12] * (hr_range[1] - hr_range[0]),
        "pulse_amplitude": float(a_lo + (a_hi - a_lo) * u[13]),
        "redness": 0.02 + 0.05 * u[14],
        "specular": 0.02 + 0.10 * u[15],
        "face_shape": face,
        "finger_shape": finger,
        "fields": fields,
    }


def _render_layers(subject, rng, height, width):
    """Face layers (premultiplied by coverage) and the background of one video.

    Returns ``fg`` (H, W, 8) float32 with channels 0-2 the colour of the foreground,
    3 its coverage, 4-6 the pulse-carrying colour (diffuse skin weighted by the local pulse
    strength) and 7 the skin coverage; and ``bg`` (H, W, 3) float32.
    """
    u = rng.uniform(size=12)
    size = min(height, width)
    ss = max(1, min(4, 256 // max(height, width)))
    cx = width * (0.5 + 0.08 * (u[0] - 0.5))
    cy = height * (0.5 + 0.06 * (u[1] - 0.5))
    ax = size * subject["face_width"] * (0.92 + 0.16 * u[2])
    ay = ax * subject["face_aspect"]
    yy, xx = np.mgrid[0 : height * ss, 0 : width * ss]
    x = (xx + 0.5) / ss
    y = (yy + 0.5) / ss
    xn = (x - cx) / ax
    yn = (y - cy) / ay
    fields = subject["fields"]

    # regions
    xw = xn / (1 - 0.12 * np.clip(yn, -1, 1))  # the chin is narrower than the forehead
    face = xw**2 + yn**2 <= 1.0
    neck = (np.abs(xn) <= 0.42) & (yn > 0.5)
    torso = ((x - cx) / (2.6 * ax)) ** 2 + ((y - cy - 2.0 * ay) / (0.9 * ay)) ** 2 <= 1.0
    torso |= (y >= cy + 2.0 * ay) & (np.abs(x - cx) <= 2.6 * ax)
    hair_back = ((xn / 1.13) ** 2 + ((yn + 0.1) / 1.1) ** 2 <= 1.0) & (yn <= subject["hair_length"])
    fringe = face & (yn < -subject["hairline"] + 0.3 * xn**2)
    eyes = np.zeros_like(face)
    iris = np.zeros_like(face)
    brows = np.zeros_like(face)
    for side in (-1.0, 1.0):
        ex = xn - side * 0.36
        eyes |= (ex / 0.17) ** 2 + ((yn + 0.1) / 0.075) ** 2 <= 1.0
        iris |= (ex * ax) ** 2 + ((yn + 0.1) * ay) ** 2 <= (0.06 * ay) ** 2
        brows |= (ex / 0.2) ** 2 + ((yn + 0.29 + 0.05 * (ex / 0.2) ** 2) / 0.04) ** 2 <= 1.0
    iris &= eyes
    mouth = (xn / 0.27) ** 2 + ((yn - 0.52) / 0.065) ** 2 <= 1.0
    lip_line = mouth & (np.abs(yn - 0.52) < 0.012)
    nostrils = ((np.abs(xn) - 0.07) / 0.04) ** 2 + ((yn - 0.3) / 0.02) ** 2 <= 1.0
    features = eyes | brows | mouth | nostrils

    # shading: a Lambertian ellipsoid under a mostly frontal light
    light = np.array([0.5 * (u[3] - 0.5), -0.3 * u[4], 1.0])
    light /= np.linalg.norm(light)
    nz = np.sqrt(np.clip(1 - xw**2 - yn**2, 0.0, 1.0))
    lambert = np.clip(light[0] * xw + light[1] * yn + light[2] * nz, 0.0, None)
    ambient = 0.45 + 0.15 * u[5]
    shade = ambient + (1 - ambient) * lambert
    shade_neck = 0.75 * (ambient + (1 - ambient) * np.sqrt(np.clip(1 - (xn / 0.42) ** 2, 0, 1)))
    nose_shadow = 1 - 0.12 * np.exp(-(((xn - 0.09) / 0.05) ** 2) - ((yn - 0.12) / 0.18) ** 2)

    # skin colour with smooth texture and redder cheeks
    tex = 1 + 0.035 * _sample_field(fields[0], xn, yn)
    cheeks = np.exp(-(((np.abs(xn) - 0.5) / 0.22) ** 2) - ((yn - 0.2) / 0.2) ** 2)
    red = subject["redness"] * (cheeks + 0.3 * _sample_field(fields[1], xn, yn))
    skin_rgb = subject["albedo"] * tex[..., None]
    skin_rgb = skin_rgb * (1 + red[..., None] * np.array([1.0, -0.8, -0.6]))

    colour = np.zeros((*x.shape, 3))
    skin = np.zeros(x.shape)
    clothes = 0.1 + 0.6 * rng.uniform(size=3)
    colour[torso] = clothes * (0.8 + 0.2 * _sample_field(fields[3], xn, yn)[torso, None])
    hair_tex = (1 + 0.15 * _sample_field(fields[2], 3 * xn, 3 * yn))[..., None]
    hair_shade = (ambient + (1 - ambient) * np.clip(0.5 + 0.5 * nz, 0, 1))[..., None]
    hb = hair_back & ~face
    colour[hb] = (subject["hair"] * hair_tex * hair_shade)[hb]
    neck_only = neck & ~torso & ~face
    colour[neck_only] = (skin_rgb * shade_neck[..., None])[neck_only]
    skin[neck_only] = 1.0
    diffuse = skin_rgb * (shade * nose_shadow)[..., None]
    colour[face] = diffuse[face]
    skin[face] = 1.0
    colour[fringe] = (subject["hair"] * hair_tex * hair_shade)[fringe]
    skin[fringe] = 0.0
    colour[eyes] = np.array([0.78, 0.76, 0.74]) * shade[eyes, None]
    colour[iris] = subject["iris"]
    colour[brows & ~fringe] = subject["hair"] * 0.8
    colour[mouth] = (subject["albedo"] * np.array([0.85, 0.5, 0.55]) * shade[..., None])[mouth]
    colour[lip_line] = subject["albedo"] * 0.3
    colour[nostrils] = subject["albedo"] * 0.25
    skin[features & face] = 0.0
    diffuse_skin = np.where(neck_only[..., None], skin_rgb * shade_neck[..., None], diffuse)

    # pulse strength varies over the face (stronger on forehead and cheeks), mean 1 over skin
    strength = 1 + 0.2 * _sample_field(fields[1], 2 * xn, 2 * yn)
    strength += 0.3 * (cheeks + np.exp(-((xn / 0.4) ** 2) - ((yn + 0.5) / 0.15) ** 2))
    strength[neck_only] *= 0.6
    strength = np.clip(strength, 0.3, None)
    strength /= np.sum(strength * skin) / np.sum(skin)

    # specular highlights (forehead, nose tip): illuminant coloured, carry no pulse
    spec = subject["specular"] * (
        np.exp(-((xn / 0.25) ** 2) - ((yn + 0.45) / 0.12) ** 2)
        + np.exp(-((xn / 0.08) ** 2) - ((yn - 0.17) / 0.08) ** 2)
    )
    colour += (spec * skin)[..., None]

    alpha = (torso | hair_back | neck_only | face).astype(float)
    layers = np.empty((*x.shape, 8))
    layers[..., :3] = colour * alpha[..., None]
    layers[..., 3] = alpha
    layers[..., 4:7] = diffuse_skin * (skin * strength)[..., None]
    layers[..., 7] = skin
    fg = layers.reshape(height, ss, width, ss, 8).mean(axis=(1, 3)).astype(np.float32)

    # background: a wall with a gradient, soft texture and a couple of objects
    by, bx = np.mgrid[0:height, 0:width] / size
    base = (0.25 + 0.45 * u[9]) * (1 + 0.6 * (rng.uniform(size=3) - 0.5))
    grad = 1 + 0.25 * (u[6] - 0.5) * (bx - 0.5) * 2 + 0.25 * (u[7] - 0.5) * (by - 0.5) * 2
    noise = ndimage.gaussian_filter(rng.standard_normal((height, width)), 0.06 * size)
    noise /= max(noise.std(), 1e-12)
    bg = base * (grad + 0.05 * noise)[..., None]
    for _ in range(2):
        r = rng.uniform(size=4)
        x0, x1 = np.sort(r[:2]) * width / size
        y0 = r[2] * height / size
        box = (bx >= x0) & (bx < x1) & (by >= y0) & (by < y0 + 0.15 + 0.4 * r[3])
        tone = (0.15 + 0.6 * r[3]) * (1 + (rng.uniform(size=3) - 0.5))
        bg[box] = tone * grad[box, None]
    bg = ndimage.gaussian_filter(bg, (0.4, 0.4, 0), mode="nearest")

    centre = np.array([cx - 0.5, cy - 0.5])  # pixel-centre coordinates used by the warp
    return fg, bg.astype(np.float32), centre, u[10:]


# --------------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------------
def _alias(freq: float, fs: float) -> float:
    return abs(freq - fs * np.round(freq / fs))


def _light_series(rng, params, t, fs, fg, bg, subject, u):
    """Per-frame gains (T, 4): R, G, B of the scene light (with exposure) and the background's own.

    The exposure is a partial auto-exposure: darker skin is brightened, but only until the
    brightest percent of the scene reaches 235 DN (a camera meters the whole frame).
    """
    n = t.size
    warm = 2 * u[0] - 1
    illuminant = np.array([1 + 0.12 * warm, 1.0, 1 - 0.15 * warm], dtype=np.float32)
    full_skin = fg[..., 7] >= 0.99
    skin_g = float(np.mean(fg[full_skin, 1])) if full_skin.any() else 0.3
    target = (100 + 40 * u[1]) * (subject["albedo"][1] / 0.45) ** 0.4
    still = (fg[..., :3] + (1 - fg[..., 3:4]) * bg) * illuminant
    exposure = min(target / skin_g, 235.0 / float(np.quantile(still, 0.99)))

    band = params["bandwidth"]
    z_int = _band_noise(rng, n, fs, 0.0, band)
    z_col = _band_noise(rng, n, fs, 0.0, band)
    z_bg = _band_noise(rng, n, fs, 0.0, band)
    jitter = rng.standard_normal(n)
    phase = rng.uniform(0, 2 * np.pi)
    f_flicker = _alias(params["flicker_freq"], fs)
    flicker = params["flicker"] * (np.cos(2 * np.pi * f_flicker * t + phase) + 0.5 * jitter)
    intensity = np.maximum(1 + params["drift"] * z_int + flicker, 0.05)
    light = np.empty((n, 4), dtype=np.float32)
    light[:, 0] = 1 + params["color"] * z_col
    light[:, 1] = 1.0
    light[:, 2] = 1 - params["color"] * z_col
    light[:, :3] *= (exposure * intensity)[:, None] * illuminant
    light[:, 3] = np.maximum(1 + 0.5 * params["drift"] * z_bg, 0.05)
    return light


def _head_motion(rng, params, t, fs, size):
    """Smooth random head trajectories (T, 4): shift x, y (px), rotation (deg), log scale."""
    z = [_band_noise(rng, t.size, fs, 0.0, params["bandwidth"]) for _ in range(4)]
    gains = (params["translation"] * size,) * 2 + (params["rotation"], params["scale"])
    return np.stack([g * zi for g, zi in zip(gains, z, strict=True)], axis=1).astype(np.float32)


def _render_video(out, masks, fg, bg, centre, light, motion, pulse_rgb, sensor_noise, rng):
    """Render one clip into ``out`` (T, H, W, 3) chunk by chunk; return the always-skin mask.

    ``light`` (T, 3): per-channel illumination times exposure, in DN per unit albedo;
    ``motion`` (T, 4): tx, ty (px), rotation (deg), log-scale, or None for a still head;
    ``pulse_rgb`` (T, 3): relative pulsatile modulation of each channel.
    """
    n_frames, height, width = out.shape[:3]
    always = np.ones((height, width), dtype=bool)
    bg_light = light[:, 3]
    warp = None
    if motion is not None:
        try:
            import cv2
        except ImportError as exc:  # pragma: no cover - OpenCV is a dev/video dependency
            raise ImportError(
                "make_synthetic_rppg needs OpenCV to move the head (pip install "
                "'lqrppg[video]'); pass motion='none' to render without it"
            ) from exc
        warp = cv2
        parts = (np.ascontiguousarray(fg[..., :4]), np.ascontiguousarray(fg[..., 4:]))
    for s in range(0, n_frames, _CHUNK):
        e = min(n_frames, s + _CHUNK)
        if warp is None:
            layers = np.broadcast_to(fg, (e - s, *fg.shape))
        else:
            layers = np.empty((e - s, *fg.shape), dtype=np.float32)
            for i in range(s, e):
                tx, ty, rot, log_s = motion[i]
                theta = np.deg2rad(rot)
                a = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
                a *= np.exp(-log_s)  # maps output pixels back to face-layer pixels
                b = centre - a @ (centre + np.array([tx, ty]))
                mat = np.hstack([a, b[:, None]]).astype(np.float32)
                flags = warp.INTER_LINEAR | warp.WARP_INVERSE_MAP
                for k, part in enumerate(parts):
                    layers[i - s, ..., 4 * k : 4 * k + 4] = warp.warpAffine(
                        part, mat, (width, height), flags=flags, borderMode=warp.BORDER_REPLICATE
                    )
        frame = layers[..., 4:7] * pulse_rgb[s:e, None, None, :]
        frame += layers[..., :3]
        frame += (1 - layers[..., 3:4]) * bg * bg_light[s:e, None, None, None]
        frame *= light[s:e, None, None, :3]
        if sensor_noise > 0:
            # read noise (a third of the variance at mid-grey) plus shot noise
            var = np.maximum(frame, 0) * (2 / 3 / 128) + 1 / 3
            frame += np.sqrt(var) * (sensor_noise * rng.standard_normal(frame.shape, np.float32))
        np.clip(frame, 0, 255, out=frame)
        if out.dtype == np.uint8:
            np.rint(frame, out=frame)
        out[s:e] = frame
        skin = layers[..., 7] >= 0.99
        always &= skin.all(axis=0)
        if masks is not None:
            masks[s:e] = layers[..., 7] >= 0.5
    return always


# --------------------------------------------------------------------------------------------
# public function
# --------------------------------------------------------------------------------------------
def make_synthetic_rppg(
    *,
    n_subjects: int = 4,
    videos_per_subject: int = 1,
    duration: float = 30.0,
    fs: float = 30.0,
    frame_size: tuple[int, int] = (64, 64),
    label_noise: str | Mapping[str, Any] = "mild",
    hr_range: tuple[float, float] = (45.0, 150.0),
    pulse_amplitude: float | tuple[float, float] = (0.001, 0.005),
    skin_types: Sequence[int] = (1, 2, 3, 4, 5, 6),
    motion: str | Mapping[str, float] | None = "mild",
    illumination: str | Mapping[str, float] | None = "mild",
    sensor_noise: float = 2.0,
    pulse_source: Any = None,
    subject_offset: int = 0,
    random_state: int | np.random.RandomState | np.random.Generator | None = None,
    dtype: Any = np.uint8,
    return_masks: bool = False,
) -> Bunch:
    r"""Generate facial videos with a known clean pulse and a noisy contact-PPG label.

    Each subject is a face-like scene: a textured background, clothing, hair, an elliptical
    face with eyes, brows, nostrils and mouth, smooth skin texture, Lambertian shading and
    specular highlights, with skin of Fitzpatrick type I to VI. Only skin pixels (face and
    neck, not hair, eyes, brows, nostrils or lips) are modulated by the blood-volume pulse,
    with the blood colour signature: the relative change of R, G and B is in the ratio
    0.33 : 0.77 : 0.53, green strongest. The head moves (translation, scale, rotation along
    smooth random trajectories), the light drifts in intensity and colour and flickers a
    little, and the sensor adds read and shot noise before the 8-bit quantisation.

    The pulse is built beat by beat, not as a sinusoid: a base heart rate, a slow drift
    (0.3-1 bpm), respiratory sinus arrhythmia (breathing at 0.15-0.4 Hz modulating the rate
    by 1-5 %) and beat-to-beat variability (0.5-1.5 %, 0.08-0.6 Hz) define an instantaneous
    pulse rate, which is integrated to a continuous beat phase. Each beat is the sum of a
    systolic, a dicrotic and a diastolic wave with subject-specific positions, widths and
    heights (with small beat-to-beat changes); the beat amplitude follows breathing (3-10 %)
    and a respiratory baseline (5-15 % of the beat) is added. The contact-PPG label is the
    same heartbeat as seen at the finger: delayed, with a sharper finger beat shape, and
    corrupted as ``label_noise`` says.

    Parameters
    ----------
    n_subjects : int, default=4
        Number of subjects (distinct faces, skin, heart rates and beat shapes).
    videos_per_subject : int, default=1
        Videos per subject; each has its own framing, background, light, motion, heart rate
        (the subject's base rate times a random factor of about +-6 %) and label noise.
    duration : float, default=30.0
        Clip length in seconds; each clip has ``T = round(duration * fs)`` frames (>= 8).
    fs : float, default=30.0
        Frame rate in Hz.
    frame_size : (int, int), default=(64, 64)
        Frame height and width in pixels, each >= 8. The framing is that of a face crop
        (the face fills about two thirds of the width, as after a detector box enlarged
        1.5 times).
    label_noise : {'none', 'mild', 'moderate', 'severe'} or dict, default='mild'
        Noise of the contact-PPG label ``ppg``. A dict sets components by name; missing keys
        are 0 (no such noise). Unknown keys raise ``ValueError``. Components (magnitudes in
        units of the standard deviation of ``ppg_clean``):

        | key | none | mild | moderate | severe |
        |---|---|---|---|---|
        | ``delay`` (s) | 0 | (0.05, 0.25) | (0.05, 0.25) | (0.05, 0.25) |
        | ``morphology`` | 0 | 0.3 | 0.6 | 1.0 |
        | ``amplitude`` | 0 | 0.1 | 0.25 | 0.4 |
        | ``baseline`` | 0 | 0.15 | 0.4 | 0.8 |
        | ``artifact_rate`` | 0 | 1 | 3 | 6 |
        | ``artifact_amplitude`` | 0 | 1.5 | 2.5 | 4 |
        | ``dropout_rate`` | 0 | 0 | 0.5 | 1.5 |
        | ``clipping`` | 0 | 0 | 0.02 | 0.05 |
        | ``noise`` | 0 | 0.05 | 0.15 | 0.3 |

        - ``delay``: pulse-transit delay of the finger after the face, a number or a range
          ``(low, high)`` drawn uniformly per video, in [0, 1] s.
        - ``morphology``: beat-shape distortion in [0, 1]; 0 keeps the face beat shape,
          1 gives a finger-like beat (sharper systolic wave, stronger dicrotic wave) with
          beat-to-beat shape changes. With ``pulse_source`` it warps time within each beat
          and bends the amplitude instead.
        - ``amplitude``: depth (standard deviation) of slow (< 0.15 Hz) gain modulation,
          in [0, 0.95].
        - ``baseline``: standard deviation of baseline wander (0.01-0.3 Hz).
        - ``artifact_rate``: motion-artifact bursts per minute (0-60), each 0.3-2 s of a
          windowed mixture of 0.3-3 Hz oscillations with peak ``artifact_amplitude``
          times 0.5-1.5.
        - ``dropout_rate``: contact losses per minute (0-60), each 0.5-3 s during which the
          sensor saturates: a flat span at the upper rail.
        - ``clipping``: fraction of samples clipped by the sensor range, in [0, 0.5]
          (half at each rail).
        - ``noise``: standard deviation of additive white noise.

        With every component 0 (``'none'``), ``ppg`` equals ``ppg_clean`` exactly. Noise
        draws are shared across settings and events are thinned from one candidate list, so
        for a given ``random_state`` a stronger setting adds noise to a weaker one (the
        Pearson r of ``ppg`` with the delay-aligned ``ppg_clean`` falls from 'none' to
        'severe'); the videos do not depend on ``label_noise``.
    hr_range : (float, float), default=(45.0, 150.0)
        Range of the subjects' base heart rate in bpm, drawn uniformly; each clip's ``hr``
        lies in it (the instantaneous rate may leave it by a few percent). Needs
        ``20 <= low <= high <= min(250, 15 * fs)``. Ignored with ``pulse_source``.
    pulse_amplitude : float or (float, float), default=(0.001, 0.005)
        Relative pulsatile change of the green channel of skin (the standard deviation of
        the pulse-driven intensity divided by the mean intensity, averaged over skin), drawn
        per subject uniformly in the range; in (0, 0.05].
    skin_types : sequence of int, default=(1, 2, 3, 4, 5, 6)
        Fitzpatrick types to draw from, uniformly, one per subject.
    motion : {'none', 'mild', 'moderate', 'severe'}, dict or None, default='mild'
        Head motion. Dict keys (missing keys take the 'none' values): ``translation``
        (standard deviation of the shift, fraction of the smaller frame side),
        ``rotation`` (degrees), ``scale`` (relative size change) and ``bandwidth`` (Hz,
        highest frequency of the smooth random trajectories). None means 'none'.

        | key | none | mild | moderate | severe |
        |---|---|---|---|---|
        | ``translation`` | 0 | 0.005 | 0.02 | 0.05 |
        | ``rotation`` | 0 | 0.5 | 2 | 5 |
        | ``scale`` | 0 | 0.004 | 0.015 | 0.04 |
        | ``bandwidth`` | 0.1 | 0.1 | 0.4 | 1.0 |

    illumination : {'none', 'mild', 'moderate', 'severe'}, dict or None, default='mild'
        Light changes over the clip. Dict keys: ``drift`` (relative standard deviation of
        the intensity), ``color`` (relative standard deviation of the red-blue balance, a
        colour-temperature change), ``flicker`` (relative amplitude of lamp flicker, a
        sinusoid at ``flicker_freq`` Hz aliased by the frame rate, plus half as much
        frame-to-frame jitter) and ``bandwidth`` (Hz, highest frequency of the drifts). The
        background also has its own slow light change of half the drift.

        | key | none | mild | moderate | severe |
        |---|---|---|---|---|
        | ``drift`` | 0 | 0.02 | 0.06 | 0.15 |
        | ``color`` | 0 | 0.01 | 0.03 | 0.06 |
        | ``flicker`` | 0 | 0.002 | 0.005 | 0.01 |
        | ``flicker_freq`` | 100 | 100 | 100 | 100 |
        | ``bandwidth`` | 0.05 | 0.05 | 0.2 | 0.5 |

    sensor_noise : float, default=2.0
        Standard deviation of the sensor noise in digital numbers (DN, 0-255) at mid-grey:
        a third of its variance is read noise, the rest shot noise proportional to the
        intensity. 0 leaves only the quantisation.
    pulse_source : (array-like, float) or list of them, optional
        Real PPG record(s) ``(signal, rate_hz)`` that drive the pulse instead of the
        synthetic model; subject ``s`` uses record ``s % len(list)``. Each record is
        band-limited (0.4 Hz to ``min(8, 0.4 fs)`` Hz, zero-phase), normalised, and its
        beats (systolic peaks) found; each video is a segment starting at a random time
        (``source_start``), so beat shape and heart-rate variability are the record's and
        ``hr`` is the record's beat rate over the segment. A record must be at least
        ``duration + 7`` s long.
    subject_offset : int, default=0
        Id of the first subject; subjects are ``subject_offset + arange(n_subjects)``.
    random_state : int, RandomState instance, Generator or None, default=None
        Seed of the whole set. Every subject, and within it every video and every purpose
        (pulse, scene, motion, light, label, sensor), has its own stream derived from
        ``random_state`` and the subject id, so subject ``k`` is identical whether it is made
        alone or with others (for an int seed; a RandomState or Generator is consumed once
        per call).
    dtype : numpy.uint8 or numpy.float32, default=numpy.uint8
        Type of ``videos``. uint8 is what a camera delivers; float32 keeps the noisy sensor
        values in DN before rounding (still clipped to 0-255), at four times the memory.
    return_masks : bool, default=False
        Also return ``skin_masks``, a per-frame skin mask.

    Returns
    -------
    data : sklearn.utils.Bunch
        With ``n = n_subjects * videos_per_subject`` clips of ``T`` frames, subject-major:

        - ``videos``: (n, T, H, W, 3) ``dtype``, RGB.
        - ``ppg``: (n, T) float64, the contact-PPG label (noisy, delayed).
        - ``ppg_clean``: (n, T) float64, the blood-volume pulse that modulates the skin,
          zero mean and unit standard deviation per clip.
        - ``hr``: (n,) float64, the clip's mean heart rate in bpm: the number of cardiac
          cycles in the clip per minute, ``60 * (phi(D) - phi(0)) / (2 pi D)`` with ``phi``
          the continuous beat phase and ``D = duration``; it equals 60 over the mean
          inter-beat interval, is the time average of ``hr_instantaneous`` and is where the
          spectrum of ``ppg_clean`` peaks (the pulse is frequency modulated by only a few
          percent).
        - ``hr_instantaneous``: (n, T) float64, instantaneous pulse rate in bpm.
        - ``beat_times``: list of n arrays, beat times in s within the clip (beat feet for
          the synthetic pulse, systolic peaks for ``pulse_source``).
        - ``subjects``: (n,) int, subject ids; ``video_ids``: (n,) int, index within subject.
        - ``fs``: float, frame rate.
        - ``fitzpatrick``: (n,) int, skin type 1-6.
        - ``pulse_amplitude``: (n,) float, relative pulsatile change of green on skin.
        - ``label_delay``: (n,) float, delay of ``ppg`` after ``ppg_clean`` in s.
        - ``breathing_rate``: (n,) float, mean breathing rate in Hz (NaN with
          ``pulse_source``).
        - ``source_start``: (n,) float, start of the segment in the source record in s
          (NaN without ``pulse_source``).
        - ``head_motion``: (n, T, 4) float32, shift x and y (px), rotation (degrees) and
          log scale of the head per frame.
        - ``skin_mask``: (n, H, W) bool, pixels that are entirely skin in every frame (a
          safe region of interest for averaging; it shrinks as motion grows and may be
          empty under 'severe' motion, then use ``skin_masks``).
        - ``skin_masks``: (n, T, H, W) bool, pixels at least half skin, per frame (only
          with ``return_masks=True``).
        - ``label_noise``, ``motion``, ``illumination``: the resolved component dicts.
        - ``description``: str.

    Notes
    -----
    Rendering: the face layers are drawn at up to 4x supersampling and averaged down, moved
    with a bilinear affine warp (OpenCV, needed only when ``motion`` is not 'none'),
    composited over the background, lit, given noise and quantised. The exposure is a
    partial auto-exposure (darker skin is brightened, but only until the brightest percent
    of the scene reaches 235 DN), and the sensor clips to 0-255 like a camera: only pixels
    driven beyond the range saturate, which the 'none' and 'mild' light changes do not
    reach. Frames are rendered in float32 chunks of 64 straight into the preallocated
    output, so the memory is about the size of ``videos`` (40 clips of 30 s at 64 x 64 are
    0.44 GB in uint8).

    Difficulty: with the defaults at 64 x 64, POS on the mean of ``skin_mask`` recovers
    ``hr`` to well under 1 bpm, and on the mean of the whole frame to 0.2-2 bpm MAE
    (depending on the post-processing); the
    hard cases are dark skin with a weak pulse (the face is a small part of the frame's
    light) and rates near the ends of ``hr_range``. 'moderate' motion and light break
    whole-frame averaging but not skin averaging; 'severe' breaks most.

    Larger sets in pieces: pass the same int ``random_state`` and consecutive
    ``subject_offset`` values (e.g. ``subject_offset=100 * i, n_subjects=100``), and
    concatenate the arrays of the pieces; the result is the same as one call with all
    subjects (same ``duration``, ``fs``, ``frame_size`` and settings), so sets can be built,
    cached and split by subject independently. Not modelled: video compression, rolling
    shutter, blinking and facial expressions.

    Examples
    --------
    >>> from lqrppg.datasets import make_synthetic_rppg
    >>> data = make_synthetic_rppg(n_subjects=2, duration=2.0, frame_size=(16, 16),
    ...                            random_state=0)
    >>> data.videos.shape, data.videos.dtype, data.ppg.shape
    ((2, 60, 16, 16, 3), dtype('uint8'), (2, 60))
    >>> bool(((data.hr >= 45) & (data.hr <= 150)).all())
    True
    """
    n_subjects = check_int(n_subjects, "n_subjects", 1)
    videos_per_subject = check_int(videos_per_subject, "videos_per_subject", 1)
    subject_offset = check_int(subject_offset, "subject_offset", 0)
    fs = check_real(fs, "fs", 0.0, open_low=True, open_high=False)
    duration = check_real(duration, "duration", 0.0, open_low=True, open_high=False)
    n_frames = round(duration * fs)
    if n_frames < 8:
        raise ValueError(
            f"duration * fs must give at least 8 frames, got duration={duration}, fs={fs}"
        )
    height, width = _check_frame_size(frame_size)
    hr_lo, hr_hi = _check_range(hr_range, "hr_range", 20.0, min(250.0, 15.0 * fs))
    amp_range = _check_range(pulse_amplitude, "pulse_amplitude", 0.0, 0.05)
    if amp_range[0] <= 0:
        raise ValueError(f"pulse_amplitude must be > 0, got {pulse_amplitude!r}")
    skin_types = _check_skin_types(skin_types)
    label_params = _resolve_components(
        label_noise, "label_noise", _LABEL_NOISE_PRESETS, _LABEL_NOISE_BOUNDS
    )
    motion_params = _resolve_components(motion, "motion", _MOTION_PRESETS, _MOTION_BOUNDS)
    light_params = _resolve_components(
        illumination, "illumination", _ILLUMINATION_PRESETS, _ILLUMINATION_BOUNDS
    )
    sensor_noise = check_real(sensor_noise, "sensor_noise", 0.0, 50.0, open_high=False)
    out_dtype = _check_dtype(dtype)
    if not isinstance(return_masks, bool | np.bool_):
        raise ValueError(f"return_masks must be True or False, got {return_masks!r}")
    records = _parse_pulse_source(pulse_source, fs, duration)
    entropy = _root_entropy(random_state)

    n = n_subjects * videos_per_subject
    videos = np.empty((n, n_frames, height, width, 3), dtype=out_dtype)
    masks = np.empty((n, n_frames, height, width), dtype=bool) if return_masks else None
    ppg = np.empty((n, n_frames))
    ppg_clean = np.empty((n, n_frames))
    hr_inst = np.empty((n, n_frames))
    head = np.empty((n, n_frames, 4), dtype=np.float32)
    skin_mask = np.empty((n, height, width), dtype=bool)
    hr = np.empty(n)
    delay = np.empty(n)
    breathing = np.empty(n)
    source_start = np.full(n, np.nan)
    fitz = np.empty(n, dtype=int)
    amp = np.empty(n)
    subjects = np.repeat(subject_offset + np.arange(n_subjects), videos_per_subject)
    video_ids = np.tile(np.arange(videos_per_subject), n_subjects)
    beat_times = []

    t = np.arange(n_frames) / fs
    moving = any(motion_params[k] > 0 for k in ("translation", "rotation", "scale"))
    sig = _BLOOD_SIGNATURE / _BLOOD_SIGNATURE[1]
    for i in range(n):
        sid, vid = int(subjects[i]), int(video_ids[i])
        subject = _draw_subject(_rng(entropy, sid, 0), skin_types, (hr_lo, hr_hi), amp_range)

        def stream(k, sid=sid, vid=vid):
            return _rng(entropy, sid, 1 + vid, k)

        # pulse
        if records is None:
            rng = stream(_STREAM_PULSE)
            hr_video = subject["hr"] * np.exp(0.06 * rng.standard_normal())
            # reflect at the range ends so the rates stay uniform rather than pile up there
            hr_video = 2 * hr_hi - hr_video if hr_video > hr_hi else hr_video
            hr_video = 2 * hr_lo - hr_video if hr_video < hr_lo else hr_video
            hr_video = float(np.clip(hr_video, hr_lo, hr_hi))
            pulse = _SyntheticPulse(
                rng, hr_video, duration, subject["face_shape"], subject["finger_shape"]
            )
        else:
            record = records[sid % len(records)]
            start = record.first + stream(_STREAM_SOURCE).uniform() * (record.last - record.first)
            pulse = _SourcePulse(record, start, duration)
            source_start[i] = start
        raw = pulse.evaluate(t)
        offset, scale = raw.mean(), raw.std()
        ppg_clean[i] = (raw - offset) / scale
        hr[i] = pulse.mean_hr()
        hr_inst[i] = pulse.rate_bpm(t)
        beat_times.append(pulse.beat_times())
        breathing[i] = pulse.breathing_rate
        ppg[i], delay[i] = _make_label(
            pulse, t, fs, label_params, stream(_STREAM_LABEL), offset, scale
        )

        fg, bg, centre, u = _render_layers(subject, stream(_STREAM_SCENE), height, width)
        light = _light_series(stream(_STREAM_LIGHT), light_params, t, fs, fg, bg, subject, u)
        head[i] = _head_motion(stream(_STREAM_MOTION), motion_params, t, fs, min(height, width))

        fitz[i] = subject["fitzpatrick"]
        amp[i] = subject["pulse_amplitude"]
        pulse_rgb = (amp[i] * ppg_clean[i][:, None] * sig).astype(np.float32)
        skin_mask[i] = _render_video(
            videos[i],
            None if masks is None else masks[i],
            fg,
            bg,
            centre,
            light,
            head[i] if moving else None,
            pulse_rgb,
            sensor_noise,
            stream(_STREAM_SENSOR),
        )

    source = "synthetic beat model" if records is None else f"{len(records)} PPG record(s)"
    description = (
        f"Synthetic rPPG set: {n_subjects} subject(s) x {videos_per_subject} video(s), "
        f"{duration:g} s at {fs:g} Hz, {height}x{width} RGB {out_dtype.name}; pulse from "
        f"{source}; label_noise={label_noise if isinstance(label_noise, str) else 'custom'}, "
        f"motion={motion if isinstance(motion, str | None) else 'custom'}, "
        f"illumination={illumination if isinstance(illumination, str | None) else 'custom'}, "
        f"sensor_noise={sensor_noise:g} DN."
    )
    data = Bunch(
        videos=videos,
        ppg=ppg,
        ppg_clean=ppg_clean,
        hr=hr,
        hr_instantaneous=hr_inst,
        beat_times=beat_times,
        subjects=subjects,
        video_ids=video_ids,
        fs=fs,
        fitzpatrick=fitz,
        pulse_amplitude=amp,
        label_delay=delay,
        breathing_rate=breathing,
        source_start=source_start,
        head_motion=head,
        skin_mask=skin_mask,
        label_noise=label_params,
        motion=motion_params,
        illumination=light_params,
        description=description,
    )
    if masks is not None:
        data.skin_masks = masks
    return data
