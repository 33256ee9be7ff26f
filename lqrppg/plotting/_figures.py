"""Figures: waveforms, spectra and Bland-Altman plots (matplotlib is imported lazily)."""

from __future__ import annotations

import numpy as np

from ..metrics import bland_altman
from ..signal._validation import check_band, check_fs, check_signal

__all__ = ["plot_bland_altman", "plot_spectrum", "plot_waveforms"]


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(7, 3.5))
    return ax


def plot_waveforms(waveforms: dict, fs: float, *, ax=None, standardize: bool = True):
    """Plot named waveforms of equal length against time.

    Parameters
    ----------
    waveforms : dict of str -> array-like of shape (T,)
        Label -> signal.
    fs : float
        Sampling rate in Hz.
    ax : matplotlib Axes, optional
    standardize : bool, default=True
        Z-score each waveform so that different units share the axis.

    Returns
    -------
    matplotlib Axes
    """
    fs = check_fs(fs)
    ax = _axes(ax)
    for label, values in waveforms.items():
        x = check_signal(values, name=str(label))
        if x.ndim != 1:
            raise ValueError(f"waveform {label!r} must have shape (T,); got {x.shape}")
        if standardize and x.std() > 0:
            x = (x - x.mean()) / x.std()
        ax.plot(np.arange(x.size) / fs, x, label=str(label), lw=1.2)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("z-score" if standardize else "amplitude")
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_spectrum(waveforms: dict, fs: float, *, band=(0.75, 2.5), hr_true=None, ax=None):
    """Plot normalised power spectra (in bpm) of named waveforms.

    Parameters
    ----------
    waveforms : dict of str -> array-like of shape (T,)
    fs : float
        Sampling rate in Hz.
    band : (float, float), default=(0.75, 2.5)
        The HR band (Hz), shaded.
    hr_true : float, optional
        Reference HR in bpm, drawn as a vertical line.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    from scipy.signal import periodogram

    fs = check_fs(fs)
    low, high = check_band(band, fs)
    ax = _axes(ax)
    for label, values in waveforms.items():
        x = check_signal(values, name=str(label), min_length=4)
        nfft = max(4096, 1 << (x.size - 1).bit_length())
        f, p = periodogram(x - x.mean(), fs=fs, nfft=nfft)
        keep = f <= min(fs / 2, 2 * high)
        peak = p[keep].max()
        ax.plot(60 * f[keep], p[keep] / (peak if peak > 0 else 1.0), label=str(label), lw=1.2)
    ax.axvspan(60 * low, 60 * high, color="0.9", zorder=0, label="HR band")
    if hr_true is not None:
        ax.axvline(float(hr_true), color="k", ls="--", lw=1, label="reference HR")
    ax.set_xlabel("frequency (bpm)")
    ax.set_ylabel("normalised power")
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_bland_altman(hr_true, hr_pred, *, ax=None, label=None, nan_policy: str = "raise"):
    """Bland-Altman plot: difference (pred - true) against the mean of the two.

    Draws the bias and the 95 % limits of agreement (bias +- 1.96 sd) from
    :func:`lqrppg.metrics.bland_altman`.

    Parameters
    ----------
    hr_true, hr_pred : array-like of shape (n,)
        Heart rates in bpm.
    ax : matplotlib Axes, optional
    label : str, optional
        Legend label of the points.
    nan_policy : {"raise", "omit"}, default="raise"

    Returns
    -------
    matplotlib Axes
    """
    stats = bland_altman(hr_true, hr_pred, nan_policy=nan_policy)
    ax = _axes(ax)
    ax.scatter(stats["mean"], stats["difference"], s=16, alpha=0.7, label=label)
    ax.axhline(stats["bias"], color="k", lw=1, label=f"bias {stats['bias']:.2f} bpm")
    for key in ("loa_low", "loa_high"):
        ax.axhline(stats[key], color="k", ls="--", lw=1)
    ax.text(
        1.0,
        stats["loa_high"],
        f" +1.96 sd = {stats['loa_high']:.2f}",
        transform=ax.get_yaxis_transform(),
        va="bottom",
        ha="right",
        fontsize="small",
    )
    ax.text(
        1.0,
        stats["loa_low"],
        f" -1.96 sd = {stats['loa_low']:.2f}",
        transform=ax.get_yaxis_transform(),
        va="top",
        ha="right",
        fontsize="small",
    )
    ax.set_xlabel("mean of reference and estimate (bpm)")
    ax.set_ylabel("estimate - reference (bpm)")
    ax.legend(loc="upper left", fontsize="small")
    return ax
