"""Reference heart rate of a contact PPG, checked against a dataset's own heart rate."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from ..exceptions import EstimationWarning
from ..signal import HR_BAND, estimate_hr
from ..signal._validation import check_fs, check_signal

__all__ = ["ReferenceHR", "reference_hr"]


class ReferenceHR(NamedTuple):
    """The reference HR of a segment: :func:`reference_hr`'s result.

    Attributes
    ----------
    ppg : float or ndarray
        HR (bpm) of the contact PPG by :func:`lqrppg.signal.estimate_hr`; NaN where the
        PPG has no pulse in the band.
    device : float or ndarray
        Mean of the dataset's own HR over the segment (NaN where it has none).
    disagree : bool or ndarray
        Both exist and differ by more than the tolerance.
    """

    ppg: float | np.ndarray
    device: float | np.ndarray
    disagree: bool | np.ndarray


def reference_hr(ppg, fs: float, *, device_hr=None, band=HR_BAND, tolerance: float = 5.0):
    """Reference heart rate of contact-PPG segments, and the dataset's own where it has one.

    The PPG's HR comes from the package's one HR routine, :func:`lqrppg.signal.estimate_hr`
    (robust chain: a PPG with a strong dicrotic wave is not read at twice its rate, the
    failure that charges the methods that are right with the error). Where the dataset
    stores a heart rate of its own (UBFC-rPPG's ``ground_truth.txt`` line 2, PURE's pulse
    rate: ``preprocess_dataset(...).hr``), its mean over the segment is returned beside it,
    and an :class:`~lqrppg.exceptions.EstimationWarning` names the segments where the two
    differ by more than ``tolerance`` bpm: one of the references is wrong there.

    Parameters
    ----------
    ppg : array-like of shape (T,) or (n_segments, T)
        Contact PPG at the frame rate.
    fs : float
        Sampling rate in Hz.
    device_hr : array-like of the shape of ``ppg``, optional
        The dataset's heart rate (bpm) at each sample; NaN where unknown.
    band : (float, float), default=HR_BAND
        Heart-rate band in Hz.
    tolerance : float, default=5.0
        Largest difference (bpm) of the two references that is not reported.

    Returns
    -------
    ReferenceHR
        ``ppg``, ``device`` and ``disagree``: scalars for one segment, else arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.metrics import reference_hr
    >>> t = np.arange(900) / 30.0
    >>> # 50 bpm with a second harmonic 1.5 times as strong: the HR is 50, not 100.
    >>> ppg = np.sin(2 * np.pi * 50 / 60 * t) + 1.5 * np.sin(2 * np.pi * 100 / 60 * t + 1)
    >>> ref = reference_hr(ppg, 30.0, device_hr=np.full(900, 51.0))
    >>> round(ref.ppg, 1), ref.device, ref.disagree
    (50.0, 51.0, False)
    """
    fs = check_fs(fs)
    arr = check_signal(ppg, name="ppg", min_length=4)
    rows = np.atleast_2d(arr)
    if isinstance(tolerance, bool) or not np.isscalar(tolerance) or not tolerance > 0:
        raise ValueError(f"tolerance must be a positive number of bpm; got {tolerance!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)  # NaN: no reference, said by caller
        hr = np.atleast_1d(np.asarray(estimate_hr(rows, fs, band=band), dtype=np.float64))
    device = np.full(rows.shape[0], np.nan)
    if device_hr is not None:
        dev = np.asarray(device_hr, dtype=np.float64)
        if dev.shape != arr.shape:
            raise ValueError(f"device_hr must have the shape of ppg {arr.shape}; got {dev.shape}")
        dev = np.atleast_2d(dev)
        known = np.isfinite(dev).any(axis=1)
        with np.errstate(invalid="ignore"):
            device[known] = np.nanmean(dev[known], axis=1)
    disagree = np.isfinite(hr) & np.isfinite(device) & (np.abs(hr - device) > tolerance)
    if disagree.any():
        shown = ", ".join(
            f"{i} ({hr[i]:.1f} vs {device[i]:.1f})" for i in np.flatnonzero(disagree)[:5]
        )
        warnings.warn(
            f"the contact PPG's HR and the dataset's own HR differ by more than {tolerance:g} "
            f"bpm in {int(disagree.sum())} of {disagree.size} segments: {shown}",
            EstimationWarning,
            stacklevel=2,
        )
    if arr.ndim == 1:
        return ReferenceHR(float(hr[0]), float(device[0]), bool(disagree[0]))
    return ReferenceHR(hr, device, disagree)
