"""Heart rate from pulse waveforms: spectral peak, inter-beat intervals, windows, SNR."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import signal

from ..exceptions import EstimationWarning
from ._filters import filter_pulse
from ._validation import check_band, check_fs, check_signal, is_flat

__all__ = ["estimate_hr", "hr_fft", "hr_peaks", "hr_windowed", "snr"]

_HR_METHODS = ("fft", "peaks")
_MIN_BAND_FRACTION = 1e-6


def _next_pow2(n: int) -> int:
    return 1 << (int(n) - 1).bit_length()


def _check_nfft(nfft, n: int) -> int:
    if nfft is None:
        return _next_pow2(n)
    if isinstance(nfft, bool) or not isinstance(nfft, (int, np.integer)) or nfft < n:
        raise ValueError(f"nfft must be an integer >= the signal length {n}; got {nfft!r}")
    return int(nfft)


def _warn_nan(n_bad: int, n_total: int, reason: str) -> None:
    what = "the signal" if n_total == 1 else f"{n_bad} of {n_total} signals"
    warnings.warn(
        f"heart rate could not be estimated for {what}: {reason}; returned NaN",
        EstimationWarning,
        stacklevel=3,
    )


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


def _no_peak_in_band(rows: np.ndarray, fs: float, nfft: int, in_band: np.ndarray) -> np.ndarray:
    """Rows whose band holds no peak of its own, only leakage from outside it.

    Decided on a Hann-tapered periodogram: the untapered one leaks side lobes of a strong
    component outside the band into it, and a side lobe can be the in-band maximum. With
    the taper, leakage falls steeply away from its source. The band holds no peak when
    its maximum sits at an edge with more power just beyond it, or when it holds less than
    a millionth (-60 dB) of the signal's power.
    """
    _, pxx = signal.periodogram(rows, fs=fs, window="hann", nfft=nfft, detrend=False, axis=-1)
    sub = pxx[:, in_band]
    # Tapered leakage from outside the band is 60 dB or more below its source within a few
    # bins; a band holding less than a millionth of the power holds only that leakage.
    leakage_only = sub.sum(axis=1) < _MIN_BAND_FRACTION * pxx.sum(axis=1)
    k = np.argmax(sub, axis=1)
    idx = np.arange(rows.shape[0])
    out = np.zeros(rows.shape[0], dtype=bool)
    first, last = in_band[0], in_band[-1]
    if first > 0:
        low_edge = k == 0
        out[low_edge] = pxx[idx[low_edge], first - 1] > sub[idx[low_edge], 0]
    if last < pxx.shape[1] - 1:
        high_edge = k == in_band.size - 1
        out[high_edge] = pxx[idx[high_edge], last + 1] > sub[idx[high_edge], -1]
    return out | leakage_only


def hr_fft(x, fs: float, band=(0.75, 2.5), *, nfft=None, interpolate: bool = True):
    """Heart rate (bpm) as the frequency of the spectral peak inside ``band``.

    The periodogram is computed with the FFT zero-padded to ``nfft`` points (by default the
    next power of two of the length, as rPPG-Toolbox does) and its maximum inside ``band``
    is taken. With ``interpolate=True`` the peak is then refined between the neighbouring
    FFT bins by evaluating the signal's discrete-time Fourier transform on a fine grid
    (1/16 of a bin) and fitting a parabola through the three grid points around its
    maximum, so short windows do not give HR in coarse steps (a 10 s window at 30 Hz has
    FFT bins 3.5 bpm apart).

    The signal is used as given: detrend and band-pass it first (or use
    :func:`estimate_hr`, which does).

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
    fs : float
        Sampling rate in Hz.
    band : (float, float), default=(0.75, 2.5)
        Search band in Hz.
    nfft : int, optional
        FFT length (>= T). Default: next power of two of T.
    interpolate : bool, default=True
        Refine the peak between FFT bins.

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

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import hr_fft
    >>> t = np.arange(300) / 30.0
    >>> round(hr_fft(np.sin(2 * np.pi * 1.234 * t), fs=30.0), 1)
    74.0
    """
    fs = check_fs(fs)
    low, high = check_band(band, fs)
    arr = check_signal(x, min_length=4)
    rows = np.atleast_2d(arr)
    n = rows.shape[-1]
    nfft = _check_nfft(nfft, n)
    if interpolate not in (True, False):
        raise ValueError(f"interpolate must be True or False; got {interpolate!r}")

    flat = is_flat(rows)
    rows = rows - rows.mean(axis=-1, keepdims=True)  # the mean carries no pulse, only leakage
    freqs, pxx = signal.periodogram(rows, fs=fs, nfft=nfft, detrend=False, axis=-1)
    in_band = np.flatnonzero((freqs >= low) & (freqs <= high))
    if in_band.size == 0:
        raise ValueError(
            f"band ({low:g}, {high:g}) Hz holds no FFT bin at nfft={nfft}, fs={fs:g}; "
            "use a wider band or a larger nfft"
        )
    result = np.full(rows.shape[0], np.nan)
    k = np.argmax(pxx[:, in_band], axis=1)
    peak_bin = in_band[k]
    rising_out = _no_peak_in_band(rows, fs, nfft, in_band)

    ok = ~flat
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
    ok &= ~outside
    result[ok] = 60.0 * f_peak[ok]

    if np.any(flat):
        _warn_nan(int(flat.sum()), rows.shape[0], "the signal is flat (no variation)")
    if np.any(outside):
        _warn_nan(
            int(outside.sum()),
            rows.shape[0],
            f"the spectral maximum lies outside the band ({60 * low:g}-{60 * high:g} bpm)",
        )
    return float(result[0]) if arr.ndim == 1 else result


def hr_peaks(x, fs: float, band=(0.75, 2.5)):
    """Heart rate (bpm) from the mean inter-beat interval of detected pulse peaks.

    Peaks are local maxima at least ``1 / band[1]`` seconds apart (no two beats closer than
    the fastest heart rate of the band) and with a prominence of at least a quarter of the
    signal's standard deviation (so ripples on a beat are not beats). The heart rate is
    ``60 / mean(inter-beat interval)``.

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
        Pulse waveform(s), peaks pointing up (band-pass them first).
    fs : float
        Sampling rate in Hz.
    band : (float, float), default=(0.75, 2.5)
        Physiological band in Hz; its upper edge sets the minimum peak distance.

    Returns
    -------
    float or ndarray of shape (n_signals,)
        Heart rate in bpm; NaN with an :class:`~lqrppg.exceptions.EstimationWarning` when
        the signal is flat or fewer than two peaks are found.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import hr_peaks
    >>> t = np.arange(600) / 30.0
    >>> round(hr_peaks(np.sin(2 * np.pi * 1.2 * t), fs=30.0), 1)
    72.0
    """
    fs = check_fs(fs)
    _, high = check_band(band, fs)
    arr = check_signal(x, min_length=3)
    rows = np.atleast_2d(arr)
    result = np.full(rows.shape[0], np.nan)
    flat = is_flat(rows)
    few = np.zeros(rows.shape[0], dtype=bool)
    distance = max(1, int(np.floor(fs / high)))
    for i, row in enumerate(rows):
        if flat[i]:
            continue
        peaks, _ = signal.find_peaks(row, distance=distance, prominence=0.25 * row.std())
        if peaks.size < 2:
            few[i] = True
            continue
        result[i] = 60.0 * fs / np.mean(np.diff(peaks))
    if np.any(flat):
        _warn_nan(int(flat.sum()), rows.shape[0], "the signal is flat (no variation)")
    if np.any(few):
        _warn_nan(int(few.sum()), rows.shape[0], "fewer than two pulse peaks were found")
    return float(result[0]) if arr.ndim == 1 else result


def _hr_function(method: str):
    if method == "fft":
        return hr_fft
    if method == "peaks":
        return hr_peaks
    raise ValueError(f"method must be one of {_HR_METHODS}; got {method!r}")


def estimate_hr(
    x,
    fs: float,
    *,
    band=(0.75, 2.5),
    method: str = "fft",
    detrend_lambda: float | str | None = "auto",
    filter_order: int = 1,
):
    """Heart rate (bpm) of rPPG or PPG waveforms by the standard evaluation chain.

    Detrend (smoothness priors, ``detrend_lambda``) and zero-phase Butterworth band-pass
    (``band``, ``filter_order``) by :func:`filter_pulse`, then the spectral peak
    (:func:`hr_fft`, ``method="fft"``) or the mean inter-beat interval (:func:`hr_peaks`,
    ``method="peaks"``). This is the
    rPPG-Toolbox post-processing and the one HR routine used by the baselines, the models,
    the metrics and the command line.

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
    fs : float
        Sampling rate in Hz.
    band : (float, float), default=(0.75, 2.5)
        Pass band and HR search band in Hz.
    method : {"fft", "peaks"}, default="fft"
    detrend_lambda : float, "auto" or None, default="auto"
        Smoothness-priors parameter; ``None`` skips detrending. The detrender's cut-off
        frequency is about ``0.189 * fs / sqrt(lambda)`` (Tarvainen et al. 2002), so a fixed
        lambda means a different filter at each sampling rate. ``"auto"`` is
        ``100 * (fs / 30) ** 2``: rPPG-Toolbox's 100 at 30 Hz (cut-off about 0.57 Hz), with
        the same cut-off at any other rate (at 250 Hz a lambda of 100 would remove
        everything below about 4.7 Hz, the pulse included).
    filter_order : int, default=1
        Butterworth order.

    Returns
    -------
    float or ndarray of shape (n_signals,)
        Heart rate in bpm (NaN with a warning where no estimate can be made).

    Notes
    -----
    The order-1 zero-phase band-pass halves the amplitude at the band edges. For a heart
    rate just above the lower edge and a pulse with a strong dicrotic wave (hence a strong
    second harmonic), the harmonic can then carry more power than the fundamental and the
    estimate doubles. This is a property of the standard chain, kept for comparability with
    published results; widen ``band`` downwards when such rates are expected.

    Flat signals, and signals of which nothing but round-off is left after filtering,
    give NaN. A signal with no pulse but some content in the band (noise, filter residue
    of a strong slow component) still has a largest spectral peak, whose frequency is
    returned: judge such estimates by their SNR (:func:`snr`).

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import estimate_hr
    >>> t = np.arange(900) / 30.0
    >>> x = np.sin(2 * np.pi * 1.1 * t) + 0.3 * t
    >>> round(estimate_hr(x, fs=30.0), 1)
    66.0
    """
    hr_function = _hr_function(method)
    fs = check_fs(fs)
    arr = check_signal(x, min_length=4)
    rows = np.atleast_2d(arr)
    flat = is_flat(rows)
    if flat.any():
        # Filtering would turn a constant into round-off noise with a 'peak' somewhere:
        # flat signals are answered NaN here, before any filtering.
        _warn_nan(int(flat.sum()), rows.shape[0], "the signal is flat (no variation)")
        result = np.full(rows.shape[0], np.nan)
        if not flat.all():
            result[~flat] = estimate_hr(
                rows[~flat],
                fs,
                band=band,
                method=method,
                detrend_lambda=detrend_lambda,
                filter_order=filter_order,
            )
        return float(result[0]) if arr.ndim == 1 else result
    filtered = filter_pulse(arr, fs, band=band, detrend_lambda=detrend_lambda, order=filter_order)
    # What is left after filtering at round-off level of the input (a pure trend, say) has
    # no content in the band: its 'peak' would be numerical noise.
    empty = np.ptp(np.atleast_2d(filtered), axis=-1) <= 1e-9 * np.ptp(rows, axis=-1)
    if not empty.any():
        return hr_function(filtered, fs, band=band)
    _warn_nan(int(empty.sum()), rows.shape[0], "nothing is left in the band after filtering")
    result = np.full(rows.shape[0], np.nan)
    if not empty.all():
        result[~empty] = hr_function(np.atleast_2d(filtered)[~empty], fs, band=band)
    return float(result[0]) if arr.ndim == 1 else result


def hr_windowed(
    x,
    fs: float,
    window: float = 10.0,
    step: float = 1.0,
    *,
    band=(0.75, 2.5),
    method: str = "fft",
):
    """Heart rate in sliding windows.

    Each window of ``window`` seconds, advanced by ``step`` seconds, is passed to
    :func:`hr_fft` or :func:`hr_peaks` as it is (filter the whole signal first, e.g. with
    :func:`bandpass`, so that windows do not carry filter edge effects). Windows that would
    run past the end are not made: the last window ends at or before the last sample.

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
    fs : float
        Sampling rate in Hz.
    window : float, default=10.0
        Window length in seconds (at least 4 samples, at most the signal length).
    step : float, default=1.0
        Hop between window starts in seconds (at least one sample).
    band : (float, float), default=(0.75, 2.5)
    method : {"fft", "peaks"}, default="fft"

    Returns
    -------
    times : ndarray of shape (n_windows,)
        Window centres in seconds from the first sample.
    hr : ndarray of shape (n_windows,) or (n_signals, n_windows)
        Heart rate in bpm per window (NaN with a warning where no estimate can be made).

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.signal import hr_windowed
    >>> t = np.arange(30 * 30) / 30.0
    >>> times, hr = hr_windowed(np.sin(2 * np.pi * 1.5 * t), fs=30.0, window=10, step=5)
    >>> times.tolist(), np.round(hr).tolist()
    ([5.0, 10.0, 15.0, 20.0, 25.0], [90.0, 90.0, 90.0, 90.0, 90.0])
    """
    hr_function = _hr_function(method)
    fs = check_fs(fs)
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
    hr = np.asarray(hr_function(flat_windows, fs, band=band)).reshape(rows.shape[0], starts.size)
    times = (starts + n_win / 2.0) / fs
    return times, (hr[0] if arr.ndim == 1 else hr)


def snr(x, hr, fs: float, band=(0.75, 2.5), *, deviation: float = 6.0, nfft=None):
    """Signal-to-noise ratio (dB) of a pulse waveform around a known heart rate.

    Power (periodogram, FFT padded to ``nfft``, default the next power of two) within
    ``+-deviation`` bpm of ``hr`` and of its second harmonic ``2 * hr`` is the signal; the
    power in the rest of ``band`` is the noise (de Haan & Jeanne 2013, as computed by
    rPPG-Toolbox, whose code uses a 0.6-3.3 Hz band).

    Parameters
    ----------
    x : array-like of shape (T,) or (n_signals, T)
    hr : float or array-like of shape (n_signals,)
        Reference heart rate(s) in bpm (positive).
    fs : float
        Sampling rate in Hz.
    band : (float, float), default=(0.75, 2.5)
        Band in Hz over which the noise power is summed.
    deviation : float, default=6.0
        Half-width in bpm of the signal windows.
    nfft : int, optional
        FFT length (>= T).

    Returns
    -------
    float or ndarray of shape (n_signals,)
        SNR in dB. NaN with an :class:`~lqrppg.exceptions.EstimationWarning` for a flat
        signal; ``inf`` when the band outside the signal windows holds no power.

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
    low, high = check_band(band, fs)
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
    nfft = _check_nfft(nfft, rows.shape[-1])

    freqs, pxx = signal.periodogram(rows, fs=fs, nfft=nfft, detrend=False, axis=-1)
    f1 = hr_arr[:, None] / 60.0
    dev = deviation / 60.0
    harm = (np.abs(freqs[None, :] - f1) <= dev) | (np.abs(freqs[None, :] - 2 * f1) <= dev)
    in_band = (freqs >= low) & (freqs <= high)
    signal_power = np.sum(pxx * harm, axis=1)
    noise_power = np.sum(pxx * (in_band[None, :] & ~harm), axis=1)
    flat = is_flat(rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 10.0 * np.log10(signal_power / noise_power)
    out[flat] = np.nan
    if np.any(flat):
        warnings.warn(
            "SNR could not be computed for a flat signal; returned NaN",
            EstimationWarning,
            stacklevel=2,
        )
    return float(out[0]) if arr.ndim == 1 else out
