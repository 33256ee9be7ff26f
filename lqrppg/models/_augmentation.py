"""Training-time augmentation of video clips and their labels: twice slower or twice
faster playback (:func:`stretch_time`, :func:`compress_time`) and horizontal flips
(:func:`augment_batch`), drawn per clip from the estimator's seed."""

from __future__ import annotations

import numpy as np
import torch

from lqrppg._validation import is_int
from lqrppg.signal._validation import is_flat

__all__ = ["augment_batch", "compress_time", "stretch_time"]


def stretch_time(x: torch.Tensor, offset: int = 0, dim: int = -1) -> torch.Tensor:
    """Play a sequence twice slower: linear interpolation at positions ``(offset + t) / 2``.

    Output sample ``t`` (``t = 0 .. T-1``) is the input linearly interpolated at the
    fractional index ``(offset + t) / 2``: the first ``T`` samples of the sequence stretched
    by 2 after dropping ``offset`` of them. A pulse at 100 bpm becomes one at 50 bpm.

    Parameters
    ----------
    x : torch.Tensor
        Sequences along ``dim`` (float).
    offset : int, default=0
        Samples of the stretched sequence skipped at its start, in ``[0, T - 1]``.
    dim : int, default=-1
        The time axis.

    Returns
    -------
    torch.Tensor, same shape as ``x``

    Examples
    --------
    >>> import torch
    >>> stretch_time(torch.tensor([0.0, 2.0, 4.0, 6.0]))
    tensor([0., 1., 2., 3.])
    >>> stretch_time(torch.tensor([0.0, 2.0, 4.0, 6.0]), offset=1)
    tensor([1., 2., 3., 4.])
    """
    T = x.shape[dim]
    if not is_int(offset) or not 0 <= offset <= T - 1:
        raise ValueError(f"offset must be an int in [0, T - 1 = {T - 1}]; got {offset!r}")
    pos = (int(offset) + torch.arange(T, device=x.device)) / 2.0
    lo = pos.floor().long()
    hi = (lo + 1).clamp_max(T - 1)
    shape = [1] * x.ndim
    shape[dim] = T
    frac = (pos - lo).to(x.dtype).reshape(shape)
    return x.index_select(dim, lo) * (1 - frac) + x.index_select(dim, hi) * frac


def compress_time(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Play a sequence twice faster: every second sample, repeated to fill ``T``.

    The samples ``0, 2, 4, ...`` (``ceil(T / 2)`` of them) followed by as many of the same
    again as fit: a pulse at 60 bpm becomes one at 120 bpm (with a jump where the copy
    starts, as in the authors' augmentation).

    Parameters
    ----------
    x : torch.Tensor
        Sequences along ``dim``.
    dim : int, default=-1
        The time axis.

    Returns
    -------
    torch.Tensor, same shape as ``x``

    Examples
    --------
    >>> import torch
    >>> compress_time(torch.arange(6.0))
    tensor([0., 2., 4., 0., 2., 4.])
    """
    T = x.shape[dim]
    half = torch.arange(0, T, 2, device=x.device)
    return x.index_select(dim, half[torch.arange(T, device=x.device) % half.numel()])


def augment_batch(
    x: torch.Tensor,
    label: torch.Tensor,
    hr: np.ndarray,
    rng: np.random.Generator,
    *,
    resample_probability: float = 0.5,
    flip_probability: float = 0.5,
    fast_bpm: float = 90.0,
    slow_bpm: float = 75.0,
) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """The augmentation of the LQ-rPPG authors, drawn clip by clip from ``rng``.

    For every clip, with probability ``resample_probability``, its video and label are
    resampled in time according to the heart rate of its label: above ``fast_bpm`` they
    are stretched twice slower (:func:`stretch_time`, starting at a random offset in
    ``[0, T/2 - 1]``, as the authors do), below ``slow_bpm`` they are compressed twice faster
    (:func:`compress_time`); in between (or when the HR is NaN) they stay as they are. A
    resampled label that would be constant (a stretch that lands inside a flat span of the
    label, such as the saturated stretch of a contact-sensor dropout) carries no pulse and
    cannot be standardised: that clip is not resampled. Independently, with probability
    ``flip_probability``, the video is mirrored left-right.
    Every clip consumes the same three draws from ``rng`` (two uniforms and an offset)
    whatever happens to it, so the stream of decisions depends only on the number of clips.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, 3, T, H, W)
        Network input (see :func:`clips_to_tensor`).
    label : torch.Tensor of shape (batch, T)
    hr : ndarray of shape (batch,)
        Heart rate of each label in bpm (NaN: no resampling).
    rng : numpy.random.Generator
    resample_probability, flip_probability : float, default=0.5
    fast_bpm, slow_bpm : float, default=90, 75

    Returns
    -------
    x, label : torch.Tensor
        New tensors, same shapes; the inputs are not modified.
    resampled : ndarray of bool, shape (batch,)
        Clips whose label changed (their training targets must be recomputed).

    Examples
    --------
    >>> import numpy as np, torch
    >>> x, label = torch.zeros(3, 3, 8, 8, 8), torch.randn(3, 8)
    >>> hr = np.array([120.0, 60.0, 80.0])
    >>> _, _, changed = augment_batch(x, label, hr, np.random.default_rng(0),
    ...                               resample_probability=1.0)
    >>> changed.tolist()
    [True, True, False]
    """
    B, T = label.shape
    u, offsets = _augmentation_draws(rng, B, T)
    return _augment(
        x, label, hr, u, offsets, resample_probability, flip_probability, fast_bpm, slow_bpm
    )


def _augmentation_draws(rng: np.random.Generator, n: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """The random numbers :func:`augment_batch` draws for ``n`` clips of ``T`` frames."""
    u = rng.random((n, 2))
    offsets = rng.integers(0, max(T // 2, 1), size=n)
    return u, offsets


def _augment(
    x: torch.Tensor,
    label: torch.Tensor,
    hr: np.ndarray,
    u: np.ndarray,
    offsets: np.ndarray,
    resample_probability: float = 0.5,
    flip_probability: float = 0.5,
    fast_bpm: float = 90.0,
    slow_bpm: float = 75.0,
) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """:func:`augment_batch` with its draws given (one row of ``u`` and ``offsets`` per clip)."""
    B = label.shape[0]
    hr = np.asarray(hr, dtype=np.float64)
    resample = u[:, 0] < resample_probability
    with np.errstate(invalid="ignore"):
        stretch = resample & (hr > fast_bpm)
        compress = resample & (hr < slow_bpm)
    flip = u[:, 1] < flip_probability
    # written clip by clip into tensors of the inputs' memory layout (torch.stack would make
    # the video channels-first contiguous, which the networks would then have to undo)
    x_out, y_out = torch.empty_like(x), torch.empty_like(label)
    for i in range(B):
        xi, yi = x[i], label[i]
        if stretch[i] or compress[i]:
            if stretch[i]:
                new_y = stretch_time(yi, int(offsets[i]))
            else:
                new_y = compress_time(yi)
            if is_flat(new_y.detach().cpu().double().numpy()):
                stretch[i] = compress[i] = False
            else:
                yi = new_y
                xi = (
                    stretch_time(xi, int(offsets[i]), dim=1)
                    if stretch[i]
                    else compress_time(xi, dim=1)
                )
        x_out[i] = xi.flip(-1) if flip[i] else xi
        y_out[i] = yi
    return x_out, y_out, stretch | compress
