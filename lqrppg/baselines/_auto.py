"""Auto: the usable channel or method with the best pulse quality, series by series."""

from __future__ import annotations

import warnings

import numpy as np

from ..exceptions import EstimationWarning
from ..signal import HR_BAND, HREstimate, estimate_hr, filter_pulse
from ._base import CHANNEL_NAMES, BaseRPPG, _problems, _saturation, _warn_rows
from ._chrom import CHROM
from ._ica import ICA
from ._lgi import LGI
from ._omit import OMIT
from ._pbv import PBV
from ._pos import POS

__all__ = ["Auto"]

#: Methods Auto can run, by name; the channel names run the channel's own trace.
_METHODS = {"POS": POS, "CHROM": CHROM, "LGI": LGI, "PBV": PBV, "ICA": ICA, "OMIT": OMIT}
#: Outputs that rise with blood volume, flipped to follow the reflected intensity like the
#: others (see the sign notes of each method).
_INVERTED = ("CHROM",)


class Auto(BaseRPPG):
    """The usable colour channel or method with the best pulse quality, per series.

    Every candidate in ``candidates`` runs on each series: a method (POS, CHROM, ...) with
    ``fs``, ``band`` and ``chain`` and its other parameters at their defaults, or a colour
    channel (``"red"``, ``"green"``, ``"blue"``) whose trace is taken as the pulse (like
    :class:`GREEN` does with green). A candidate that cannot work on a series - a channel it
    reads is constant or clipped (:func:`channel_problems`), or the method fails there -
    is left out with its reason. Of the others, the one whose heart rate has the highest
    SNR (:meth:`predict_quality` of that candidate, i.e. :func:`lqrppg.signal.estimate_hr`)
    is chosen. A fingertip trace with a saturated green channel is then read from red,
    where the chrominance methods, which need all three channels, decline.

    Each series (clip, window) is one choice; give windows to choose per window.

    Parameters
    ----------
    fs : float, default=30.0
        Frame rate in Hz.
    band : (float, float), default=HR_BAND
        Heart-rate band in Hz (40-180 bpm), ``0 < low < high < fs / 2``.
    chain : {"robust", "toolbox"}, default="robust"
        HR chain of every candidate (see :func:`lqrppg.signal.estimate_hr`).
    candidates : tuple of str, default=("POS", "CHROM", "red", "green", "blue")
        Candidates in order of preference on equal SNR: any of ``"red"``, ``"green"``,
        ``"blue"``, ``"POS"``, ``"CHROM"``, ``"LGI"``, ``"PBV"``, ``"ICA"``, ``"OMIT"``.

    Notes
    -----
    Output of :meth:`predict`: the chosen candidate's waveform, filtered by
    :func:`lqrppg.signal.filter_pulse` and standardised (zero mean, unit variance), with the
    sign of the reflected intensity (CHROM's output is flipped), so that waveforms of
    different candidates can be joined, e.g. chunk after chunk of a video. :meth:`predict_hr`
    and :meth:`predict_quality` give the chosen candidate's own estimate.

    Choosing the best of several candidates raises the SNR that noise reaches by chance:
    on white-noise traces the share of estimates at or above
    :data:`lqrppg.signal.MIN_SNR` is measured in docs/benchmarks/hr_chain.md.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.baselines import Auto
    >>> t = np.arange(900) / 30.0
    >>> pulse = np.outer(np.sin(2 * np.pi * 1.2 * t), [0.33, 0.77, 0.53])
    >>> rgb = (np.array([180.0, 120.0, 100.0]) * (1 + 0.01 * pulse))[None]
    >>> dead = rgb.copy()
    >>> dead[..., 1] = 0.0  # a dead green channel: POS and CHROM decline, red is used
    >>> auto = Auto()
    >>> auto.select(dead).tolist(), auto.predict_hr(dead).round(1).tolist()
    (['red'], [72.0])
    """

    _channels: tuple[int, ...] = ()

    def __init__(
        self,
        *,
        fs: float = 30.0,
        band=HR_BAND,
        chain: str = "robust",
        candidates=("POS", "CHROM", "red", "green", "blue"),
    ):
        self.fs = fs
        self.band = band
        self.chain = chain
        self.candidates = candidates

    def _candidates(self) -> tuple[str, ...]:
        allowed = (*CHANNEL_NAMES, *_METHODS)
        names = self.candidates
        if isinstance(names, str) or not hasattr(names, "__iter__"):
            raise ValueError(
                f"candidates must be a sequence of names from {allowed}; got {names!r}"
            )
        names = tuple(names)
        bad = [c for c in names if c not in allowed]
        if not names or bad or len(set(names)) != len(names):
            raise ValueError(
                f"candidates must be distinct names from {allowed}, at least one; got {names!r}"
            )
        return names

    def _estimator(self, name: str, fs: float, band) -> BaseRPPG:
        return _METHODS[name](fs=fs, band=band, chain=self.chain)

    def _check_method_params(self, fs: float, band: tuple[float, float]) -> None:
        for name in self._candidates():
            if name in _METHODS:
                self._estimator(name, fs, band)._check_params()

    def _min_length(self, fs: float, band: tuple[float, float]) -> int:
        # Candidates that cannot run on so short a series are left out, not the series.
        return 2

    def _run(self, X):
        """Per candidate (waves, HREstimate) and the index of the chosen one per series."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        fs, band = self._check_params()
        rgb = self._check_X(X, fs, band)
        problems = _problems(rgb, _saturation(X))
        n = rgb.shape[0]
        names = self._candidates()
        waves, quality = {}, {}
        for name in names:
            wave, reasons = self._candidate(name, rgb, problems, fs, band)
            hr, s = np.full(n, np.nan), np.full(n, np.nan)
            conf = np.full(n, "none", dtype=object)
            ok = reasons == ""
            if ok.any():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", EstimationWarning)  # reported per series
                    q = estimate_hr(wave[ok], fs, band=band, chain=self.chain, return_quality=True)
                hr[ok], s[ok], conf[ok], reasons[ok] = q
            waves[name], quality[name] = wave, HREstimate(hr, s, conf, reasons)
        snrs = np.stack(
            [np.where(np.isfinite(quality[c].hr), quality[c].snr, -np.inf) for c in names]
        )
        chosen = np.argmax(snrs, axis=0)  # the first of equal SNRs: the order of preference
        chosen[~np.isfinite(snrs.max(axis=0))] = -1
        return names, waves, quality, chosen

    def _candidate(self, name, rgb, problems, fs, band):
        n, t, _ = rgb.shape
        if name in CHANNEL_NAMES:
            c = CHANNEL_NAMES.index(name)
            reasons = problems[:, c].copy()
            wave = rgb[:, :, c].copy()
            wave[reasons != ""] = np.nan
            return wave, reasons
        est = self._estimator(name, fs, band)
        n_min = est._min_length(fs, band)
        if t < n_min:
            reason = f"{name} needs at least {n_min} frames{est._length_reason(fs, band)}"
            return np.full((n, t), np.nan), np.full(n, reason, dtype=object)
        if est._normalizes and np.any(rgb < 0):
            reason = f"{name} needs non-negative intensities"
            return np.full((n, t), np.nan), np.full(n, reason, dtype=object)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)  # reported per series
            wave, reasons = est._predict_traces(rgb, problems, fs, band)
        if name in _INVERTED:
            wave = -wave
        return wave, reasons

    def _outcome(self, X):
        names, waves, quality, chosen = self._run(X)
        n = chosen.size
        hr, s = np.full(n, np.nan), np.full(n, np.nan)
        conf = np.full(n, "none", dtype=object)
        reasons = np.full(n, "", dtype=object)
        for i in range(n):
            if chosen[i] >= 0:
                q = quality[names[chosen[i]]]
                hr[i], s[i], conf[i] = q.hr[i], q.snr[i], q.confidence[i]
            else:
                reasons[i] = (
                    "no candidate gave an estimate ("
                    + "; ".join(f"{c}: {quality[c].reason[i]}" for c in names)
                    + ")"
                )
        none = chosen < 0
        if none.any():
            _warn_rows(none, "Auto", "no candidate gave an estimate (see predict_candidates)")
        return names, waves, chosen, HREstimate(hr, s, conf, reasons)

    def predict_candidates(self, X) -> dict[str, HREstimate]:
        """Every candidate's heart rate with its quality, or why it could not run.

        Parameters
        ----------
        X : array-like of shape (n_series, T, 3) or (n_clips, T, H, W, 3)

        Returns
        -------
        dict of str to HREstimate
            One entry per candidate, in the order of ``candidates``; fields of shape
            (n_series,). ``reason`` says why a candidate has no estimate on a series.
        """
        return self._run(X)[2]

    def select(self, X) -> np.ndarray:
        """The candidate chosen for each series ('' where none gave an estimate).

        Returns
        -------
        ndarray of shape (n_series,), dtype object
        """
        names, _, _, chosen = self._run(X)
        return np.array([names[k] if k >= 0 else "" for k in chosen], dtype=object)

    def predict(self, X) -> np.ndarray:
        """Waveform of the chosen candidate per series (filtered, standardised).

        Returns
        -------
        ndarray of shape (n_series, T), float64
            NaN, with an :class:`~lqrppg.exceptions.EstimationWarning`, where no
            candidate gave an estimate.
        """
        names, waves, chosen, _ = self._outcome(X)
        fs, band = self._check_params()
        out = np.full(waves[names[0]].shape, np.nan)
        for i, k in enumerate(chosen):
            if k >= 0:
                y = filter_pulse(waves[names[k]][i], fs, band=band, chain=self.chain)
                out[i] = (y - y.mean()) / y.std()
        return out

    def predict_quality(self, X) -> HREstimate:
        """Heart rate, SNR and confidence of the chosen candidate per series.

        Returns
        -------
        HREstimate
            Fields of shape (n_series,); where no candidate gave an estimate, NaN and a
            reason listing each candidate's.
        """
        return self._outcome(X)[3]

    def predict_hr(self, X) -> np.ndarray:
        """Heart rate (bpm) of the chosen candidate per series (NaN where none)."""
        return self.predict_quality(X).hr
