"""Differentiable training losses of LQ-rPPG: negative Pearson, frequency CE, hybrid.

All functions take batches of waveforms of shape (batch, T), work on any device and
floating dtype, and are differentiable with respect to ``pred``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import torch
import torch.nn.functional as F

from lqrppg._validation import check_int, is_real
from lqrppg.nn._checks import shape_of

__all__ = [
    "bpm_power_spectrum",
    "frequency_cross_entropy",
    "hybrid_loss",
    "neg_pearson_loss",
]


def _check_batch(name: str, x: Any) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 2:
        raise ValueError(f"{name} must be a tensor of shape (batch, T), got {shape_of(x)}.")
    if not x.is_floating_point():
        raise ValueError(f"{name} must have a floating-point dtype, got {x.dtype}.")


def _check_pair(pred: Any, target: Any) -> torch.Tensor:
    """Validate a (pred, target) pair; return target in pred's dtype."""
    _check_batch("pred", pred)
    _check_batch("target", target)
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target must have the same shape (batch, T), got {shape_of(pred)} "
            f"and {shape_of(target)}."
        )
    if pred.device != target.device:
        raise ValueError(
            f"pred and target must be on the same device, got {pred.device} and {target.device}."
        )
    if pred.shape[0] < 1:
        raise ValueError(f"need at least one clip, got shape {shape_of(pred)}.")
    return target.to(pred.dtype)


def _check_band(T: int, fs: Any, bpm_min: Any, bpm_max: Any) -> None:
    if not is_real(fs) or not math.isfinite(fs) or fs <= 0:
        raise ValueError(f"fs must be a positive finite number (Hz), got {fs!r}.")
    for name, v in (("bpm_min", bpm_min), ("bpm_max", bpm_max)):
        check_int(v, name, 1, expected="a positive int (beats per minute)")
    if bpm_min > bpm_max:
        raise ValueError(f"need bpm_min <= bpm_max, got bpm_min={bpm_min}, bpm_max={bpm_max}.")
    if bpm_max / 60.0 >= fs / 2.0:
        raise ValueError(
            f"bpm_max={bpm_max} ({bpm_max / 60:.3g} Hz) must lie below the Nyquist frequency "
            f"fs/2 = {fs / 2:.3g} Hz."
        )
    min_T = max(2, math.ceil(fs * 60.0 / bpm_min - 1e-9))
    if T < min_T:
        raise ValueError(
            f"T={T} samples is too short to resolve the band: one period of bpm_min={bpm_min} "
            f"at fs={fs} Hz needs T >= {min_T}."
        )


@functools.lru_cache(maxsize=32)
def _dft_basis(
    T: int, fs: float, bpm_min: int, bpm_max: int, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """(T, 2 * n_bins) matrix: Hann window times cos | sin at each integer bpm of the band.

    Built in float64 on the CPU (phases reach 2 pi * f * T / fs) and then moved; cached per
    (T, fs, band, device, dtype). Built outside inference mode so that a basis first made
    under ``torch.inference_mode()`` can still be saved for backward later. Callers must not
    modify the returned tensor.
    """
    with torch.inference_mode(False), torch.no_grad():
        n = torch.arange(T, dtype=torch.float64)
        freqs = torch.arange(bpm_min, bpm_max + 1, dtype=torch.float64) / 60.0
        phase = 2.0 * math.pi * n[:, None] * freqs[None, :] / fs
        window = torch.hann_window(T, periodic=False, dtype=torch.float64)[:, None]
        basis = torch.cat([window * torch.cos(phase), window * torch.sin(phase)], dim=1)
        return basis.to(device=device, dtype=dtype)


def _band_power(x: torch.Tensor, fs: float, bpm_min: int, bpm_max: int) -> torch.Tensor:
    basis = _dft_basis(x.shape[1], float(fs), int(bpm_min), int(bpm_max), x.device, x.dtype)
    coef = (x - x.mean(dim=1, keepdim=True)) @ basis
    re, im = coef.chunk(2, dim=1)
    return re.square() + im.square()


def bpm_power_spectrum(
    x: torch.Tensor, fs: float, bpm_min: int = 45, bpm_max: int = 149
) -> torch.Tensor:
    """Power of each Hann-windowed clip at every integer bpm from ``bpm_min`` to ``bpm_max``.

    Each clip has its mean removed (so that an offset does not leak into the lowest bins),
    is multiplied by a symmetric Hann window (as ``numpy.hanning``), and is projected by an
    explicit DFT at exactly the frequencies ``bpm / 60`` Hz: ``|sum_t w_t x_t e^{-2 pi i f t /
    fs}|^2``. Differentiable with respect to ``x``.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, T)
        Waveforms sampled at ``fs``.
    fs : float
        Sampling rate in Hz.
    bpm_min, bpm_max : int, default=45, 149
        Band limits in beats per minute, both included. ``bpm_max / 60`` must lie below
        ``fs / 2``, and T must cover one period of ``bpm_min``: ``T >= ceil(60 fs / bpm_min)``
        (40 samples at 30 Hz and 45 bpm).

    Returns
    -------
    power : torch.Tensor of shape (batch, bpm_max - bpm_min + 1)
        Column ``k`` is the power at ``bpm_min + k`` bpm.

    Examples
    --------
    >>> import math, torch
    >>> t = torch.arange(160) / 30.0
    >>> x = torch.sin(2 * math.pi * (72 / 60) * t)[None]
    >>> int(bpm_power_spectrum(x, fs=30).argmax()) + 45
    72
    """
    _check_batch("x", x)
    _check_band(x.shape[1], fs, bpm_min, bpm_max)
    return _band_power(x, fs, bpm_min, bpm_max)


def neg_pearson_loss(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Negative Pearson loss: ``1 - r`` per clip, averaged over the batch.

    Parameters
    ----------
    pred, target : torch.Tensor of shape (batch, T)
        Predicted and reference waveforms; ``target`` is not differentiated.
    eps : float, default=1e-8
        Added to each centred sum of squares before the square root, so that a constant clip
        gives ``r = 0`` (loss 1) and a finite gradient instead of a division by zero.

    Returns
    -------
    loss : torch.Tensor, scalar
        In [0, 2]; 0 when ``pred`` is an increasing affine function of ``target``.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[0.0, 1.0, 0.0, -1.0]])
    >>> abs(float(neg_pearson_loss(2 * x + 1, x))) < 1e-6, round(float(neg_pearson_loss(-x, x)), 4)
    (True, 2.0)
    """
    target = _check_pair(pred, target)
    if pred.shape[1] < 2:
        raise ValueError(f"need T >= 2 samples for a correlation, got shape {shape_of(pred)}.")
    pc = pred - pred.mean(dim=1, keepdim=True)
    tc = target - target.mean(dim=1, keepdim=True)
    num = (pc * tc).sum(dim=1)
    den = torch.sqrt(pc.square().sum(dim=1) + eps) * torch.sqrt(tc.square().sum(dim=1) + eps)
    return (1.0 - num / den).mean()


def frequency_cross_entropy(
    pred: torch.Tensor,
    target: torch.Tensor,
    fs: float,
    bpm_min: int = 45,
    bpm_max: int = 149,
    sigma: float | None = None,
    normalize: bool = True,
) -> torch.Tensor:
    """Cross-entropy of the predicted band power against the target's heart-rate bin.

    The band power of each clip is computed by :func:`bpm_power_spectrum` (mean removed,
    symmetric Hann window, DFT at each integer bpm). The label is the bin of the target's
    spectral peak on that same grid. The predicted power spectrum is used as the logits of a
    softmax over the bins.

    Parameters
    ----------
    pred, target : torch.Tensor of shape (batch, T)
        Predicted and reference waveforms sampled at ``fs``; ``target`` is not differentiated.
    fs : float
        Sampling rate in Hz.
    bpm_min, bpm_max : int, default=45, 149
        Band in bpm, both included (105 bins by default). See :func:`bpm_power_spectrum` for
        the limits on ``fs`` and T (T >= ``ceil(60 fs / bpm_min)``).
    sigma : float, optional
        If given (in bpm, e.g. 3), the hard label is replaced by a Gaussian of that width
        centred on the target's peak bpm (normalised over the band) and the loss is the
        KL divergence from it to the predicted softmax.
    normalize : bool, default=True
        Divide the predicted power by its sum over the band before the softmax, as the
        rPPG-Toolbox implementation the authors build on does. The loss then ignores the
        amplitude of ``pred`` and its gradients stay bounded; the logits lie in [0, 1], so the
        loss lies between about ``log(n_bins) - 1`` and ``log(n_bins)`` (3.67 to 4.65 for the
        default band) rather than reaching 0. With ``False`` the raw power is used as logits,
        which depends on the scale of ``pred``.

    Returns
    -------
    loss : torch.Tensor, scalar
        Mean over the batch.

    Examples
    --------
    >>> import math, torch
    >>> t = torch.arange(160) / 30.0
    >>> wave = lambda bpm: torch.sin(2 * math.pi * bpm / 60 * t)[None]
    >>> right = frequency_cross_entropy(wave(72), wave(72), fs=30)
    >>> wrong = frequency_cross_entropy(wave(120), wave(72), fs=30)
    >>> bool(right < wrong)
    True
    """
    target = _check_pair(pred, target)
    _check_band(pred.shape[1], fs, bpm_min, bpm_max)
    if sigma is not None and (not is_real(sigma) or not sigma > 0):
        raise ValueError(f"sigma must be None or a positive number (bpm), got {sigma!r}.")
    power = _band_power(pred, fs, bpm_min, bpm_max)
    with torch.no_grad():
        label = _band_power(target, fs, bpm_min, bpm_max).argmax(dim=1)
    if normalize:
        tiny = torch.finfo(power.dtype).tiny
        logits = power / power.sum(dim=1, keepdim=True).clamp_min(tiny)
    else:
        logits = power
    if sigma is None:
        return F.cross_entropy(logits, label)
    bins = torch.arange(power.shape[1], device=power.device, dtype=power.dtype)
    soft = torch.exp(-0.5 * ((bins[None, :] - label[:, None]) / sigma) ** 2)
    soft = soft / soft.sum(dim=1, keepdim=True)
    return F.kl_div(F.log_softmax(logits, dim=1), soft, reduction="batchmean")


def hybrid_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    fs: float,
    alpha: float = 0.2,
    beta: float = 1.0,
    bpm_min: int = 45,
    bpm_max: int = 149,
    sigma: float | None = None,
    normalize: bool = True,
) -> torch.Tensor:
    """Hybrid loss of LQ-rPPG: ``alpha * neg_pearson + beta * frequency_cross_entropy``.

    Parameters
    ----------
    pred, target : torch.Tensor of shape (batch, T)
        Predicted and reference waveforms sampled at ``fs``.
    fs : float
        Sampling rate in Hz.
    alpha : float, default=0.2
        Weight of :func:`neg_pearson_loss`.
    beta : float, default=1.0
        Weight of :func:`frequency_cross_entropy`.
    bpm_min, bpm_max, sigma, normalize
        Passed to :func:`frequency_cross_entropy`.

    Returns
    -------
    loss : torch.Tensor, scalar

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> pred, target = torch.randn(2, 160, generator=g), torch.randn(2, 160, generator=g)
    >>> hybrid_loss(pred, target, fs=30).shape
    torch.Size([])
    """
    return alpha * neg_pearson_loss(pred, target) + beta * frequency_cross_entropy(
        pred, target, fs, bpm_min=bpm_min, bpm_max=bpm_max, sigma=sigma, normalize=normalize
    )
