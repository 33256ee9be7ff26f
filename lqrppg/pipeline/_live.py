"""Heart rate as frames come: a camera, or a file paced at its frame rate."""

from __future__ import annotations

import time
import warnings
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

from lqrppg.signal import MIN_SNR, estimate_hr

__all__ = ["LiveUpdate", "live_updates"]

#: Seconds of signal behind the respiration rate (at least 4 breaths at 8 breaths/min).
_RESPIRATION_S = 30.0


@dataclass
class LiveUpdate:
    """One update of :func:`live_updates`.

    Attributes
    ----------
    time_s : float
        Video time of the newest frame (frame index / fps).
    hr_bpm : float
        Heart rate over the last ``window`` seconds; NaN when not reliable (``reason``).
    snr_db : float
        SNR of that window around its spectral peak (NaN where there is none).
    confidence : str
        ``"high"``, ``"medium"``, ``"low"`` or ``"none"``.
    reason : str
        Why there is no heart rate (empty when there is one).
    respiration_bpm : float
        Breaths per minute over the last 30 s, where :func:`lqrppg.signal.respiration_rate`
        gives one with a reliable heart rate; NaN otherwise.
    face : bool
        Whether a face is being followed (False: the frame centre, or ``face=False``).
    latency_s : float
        Seconds from the newest frame's arrival to this update (the computing time); the
        estimate itself describes the window that ends there, centred ``window / 2``
        seconds earlier.
    frames : int
        Frames read so far.
    behind_s : float
        With ``realtime`` (a paced file source): how late the newest frame was read against
        its due time (frame index / fps after the start). It grows when the computing cannot
        keep up with the frame rate; no frame is dropped, so the updates fall behind instead
        (and say so). 0 otherwise.
    """

    time_s: float
    hr_bpm: float
    snr_db: float
    confidence: str
    reason: str
    respiration_bpm: float
    face: bool
    latency_s: float
    frames: int
    behind_s: float = 0.0

    def to_dict(self) -> dict:
        """The update as JSON-ready values (NaN as None)."""
        return {
            k: (None if isinstance(v, float) and not np.isfinite(v) else v)
            for k, v in asdict(self).items()
        }


def _frames(cap, fps: float, realtime: bool, clock) -> Iterator[tuple[np.ndarray, float, float]]:
    """BGR frames of an open capture, their arrival times and how late they were read.

    Paced at ``fps`` if asked (a file source: no frame before its time); the lateness is
    the arrival time minus the frame's due time (0 without pacing).
    """
    start = clock()
    k = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            return
        late = 0.0
        if realtime:
            due = start + k / fps
            wait = due - clock()
            if wait > 0:
                time.sleep(wait)
            late = max(0.0, clock() - due)
        yield frame, clock(), late
        k += 1


def live_updates(
    source,
    *,
    method: str = "pos",
    fps: float | None = None,
    realtime: bool = False,
    window: float = 10.0,
    every: float = 1.0,
    face: bool = True,
    band=(40.0, 180.0),
    min_snr: float = MIN_SNR,
    max_seconds: float | None = None,
    clock=time.monotonic,
) -> Iterator[LiveUpdate]:
    """Heart rate updated every ``every`` seconds from frames as they come.

    Each frame is reduced at once to the mean colour of the face crop (OpenCV's Haar
    cascade once per second on a 160-px copy; the box is the median of the faces of the
    last ``window`` seconds, enlarged 1.5 times, as :class:`lqrppg.video.StreamCrop`), so
    memory is bounded by ``max(window, 30 s)`` of three numbers per frame whatever the
    frame size and the running time. Every ``every`` seconds of video the unsupervised
    ``method`` runs on the last ``window`` seconds and :func:`lqrppg.signal.estimate_hr`
    gives the heart rate with its SNR, or NaN with the reason below ``min_snr``; with a
    reliable heart rate and 30 s of signal, the respiration rate too.

    Parameters
    ----------
    source : int, str or os.PathLike
        A camera index (``cv2.VideoCapture(N)``) or a video file.
    method : str, default="pos"
        An unsupervised method of :mod:`lqrppg.baselines` by name (``"pos"``, ``"chrom"``,
        ``"green"``, ``"lgi"``, ``"pbv"``, ``"ica"``, ``"omit"``, ``"auto"``).
    fps : float, optional
        Frame rate where the source does not give one.
    realtime : bool, default=False
        Pace a file source at its frame rate (as a camera would deliver it).
    window : float, default=10.0
        Seconds of signal behind each heart rate (at least 2).
    every : float, default=1.0
        Seconds of video between updates.
    face : bool, default=True
        Crop the face; False averages the whole frame.
    band : pair of float, default=(40, 180)
        Heart-rate band in bpm.
    min_snr : float, default=:data:`lqrppg.signal.MIN_SNR`
        SNR (dB) from which a heart rate is given.
    max_seconds : float, optional
        Stop after this many seconds of video.
    clock : callable, default=time.monotonic
        Source of arrival times (seconds), for the latency.

    Yields
    ------
    LiveUpdate

    Raises
    ------
    ValueError
        For bad arguments or a source that cannot be opened.
    """
    import cv2

    from lqrppg._methods import BASELINES, baseline_class
    from lqrppg._validation import check_positive
    from lqrppg.pipeline._video import _check_seconds, check_band_bpm
    from lqrppg.signal import respiration_rate
    from lqrppg.signal._hr import check_min_snr
    from lqrppg.video import StreamCrop
    from lqrppg.video._io import _check_path, _open, _quiet_opencv

    if method not in BASELINES:
        raise ValueError(
            f"method must be an unsupervised method ({', '.join(BASELINES)}); got {method!r}"
        )
    window = _check_seconds(window, "window")
    every = _check_seconds(every, "every")
    min_snr = check_min_snr(min_snr)
    if window < 2:
        raise ValueError(f"window must be at least 2 s; got {window:g}")
    if max_seconds is not None:
        max_seconds = _check_seconds(max_seconds, "max_seconds")
    camera = isinstance(source, int | np.integer) and not isinstance(source, bool)
    if camera:
        with _quiet_opencv():
            cap = cv2.VideoCapture(int(source))
        if not cap.isOpened():
            cap.release()
            raise ValueError(f"cannot open camera {int(source)} (cv2.VideoCapture({int(source)}))")
    else:
        cap = _open(_check_path(source))
    try:
        rate = cap.get(cv2.CAP_PROP_FPS)
        if fps is not None:
            rate = check_positive(fps, "fps")
        elif not (np.isfinite(rate) and rate > 0):
            raise ValueError(f"{source!r} gives no frame rate; pass fps")
        rate = float(rate)
        band_hz = check_band_bpm(band, rate)
        estimator = baseline_class(method)(fs=rate, band=band_hz)
        n_window = round(window * rate)
        n_keep = max(n_window, round(_RESPIRATION_S * rate))
        step = max(1, round(every * rate))
        crop = StreamCrop(box="chunk" if face else "frame", size="mean")._run(rate, n_window)
        trace: deque = deque(maxlen=n_keep)
        key = None
        paced = realtime and not camera
        for t, (frame, arrived, late) in enumerate(_frames(cap, rate, paced, clock)):
            crop.observe(t, frame)
            if key is None or (face and t % crop.every == 0):
                key = crop.chunk_key(t)
            trace.append(crop.reduce(frame, key))
            done = max_seconds is not None and (t + 1) >= max_seconds * rate
            if (t + 1) % step == 0 and len(trace) >= n_window:
                update = _update(estimator, trace, n_window, rate, band_hz, min_snr, key,
                                 face, t, arrived, clock, respiration_rate)  # fmt: skip
                update.behind_s = late
                yield update
            if done:
                return
    finally:
        cap.release()


def _update(estimator, trace, n_window, rate, band_hz, min_snr, key, face, t, arrived, clock,
            respiration_rate) -> LiveUpdate:  # fmt: skip
    from lqrppg.exceptions import EstimationWarning

    rgb = np.asarray(trace, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)  # NaN is reported with a reason
        wave = estimator.predict(rgb[-n_window:][None])[0]
        quality = estimate_hr(wave, rate, band=band_hz, return_quality=True)
    hr = quality.gated(min_snr)
    reason = ""
    if face and key[4]:  # no face found in the last window: the frame centre is no measure
        hr, reason = float("nan"), f"no face found in the last {n_window / rate:g} s"
    elif not np.isfinite(hr):
        reason = (
            f"SNR {quality.snr:.1f} dB below {min_snr:g} dB"
            if np.isfinite(quality.hr)
            else str(quality.reason) or "no spectral peak in the band"
        )
    breathing = float("nan")
    if np.isfinite(hr) and len(rgb) >= round(_RESPIRATION_S * rate):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            long_wave = estimator.predict(rgb[None])[0]
            breathing = float(respiration_rate(long_wave, rate).value)
    following = bool(face and not key[4])
    return LiveUpdate(
        time_s=(t + 1) / rate,
        hr_bpm=float(hr),
        snr_db=float(quality.snr),
        confidence=str(quality.confidence) if np.isfinite(hr) else "none",
        reason=reason,
        respiration_bpm=breathing,
        face=following,
        latency_s=float(clock() - arrived),
        frames=t + 1,
    )
