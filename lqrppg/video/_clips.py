"""Cutting a recording into fixed-length clips and joining per-clip outputs back."""

from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from .._validation import check_choice, check_int

__all__ = ["clip_window", "cut_clips", "overlap_add"]

_REMAINDERS = ["drop", "pad", "last"]
_WINDOWS = ["hann", "boxcar"]


def cut_clips(
    frames, chunk_length: int, *, overlap: int = 0, labels=None, remainder: str = "drop"
) -> Bunch:
    """Cut a recording into clips of ``chunk_length`` frames.

    Clip ``k`` starts at frame ``k * (chunk_length - overlap)``. Frames after the last full
    clip (fewer than a clip's advance) are handled by ``remainder``, and the returned report
    says how many frames that concerned; nothing is left out without being counted.

    Parameters
    ----------
    frames : array-like of shape (T, ...)
        Time on axis 0: video frames (T, H, W, 3), traces (T, 3) or a signal (T,).
    chunk_length : int
        Frames per clip, ``1 <= chunk_length <= T``.
    overlap : int, default=0
        Frames shared by consecutive clips, ``0 <= overlap < chunk_length``.
    labels : array-like of shape (T,) or (T, ...), optional
        Per-frame labels (e.g. contact PPG), cut the same way.
    remainder : {"drop", "pad", "last"}, default="drop"
        What to do with the ``n_remainder`` frames after the last full clip:

        - ``"drop"``: leave them out (reported as ``n_uncovered``).
        - ``"pad"``: one more clip at the next regular start, filled up to ``chunk_length``
          by repeating the last frame (and label); ``n_padded`` says how many frames are
          repeats, ``valid_lengths`` how many of each clip are real.
        - ``"last"``: one more clip ending on the last frame (starting at
          ``T - chunk_length``), so it overlaps its neighbour by more than ``overlap``.

    Returns
    -------
    Bunch
        - ``clips``: ndarray (n_clips, chunk_length, ...), a copy, the dtype of ``frames``.
        - ``labels``: ndarray (n_clips, chunk_length, ...) or None.
        - ``starts``: ndarray (n_clips,) int64, first frame of each clip.
        - ``valid_lengths``: ndarray (n_clips,) int64, real (not padded) frames per clip.
        - ``n_frames``: T; ``remainder``: the policy; ``n_remainder``: frames after the
          last full clip; ``n_uncovered``: frames in no clip (non-zero only with "drop");
          ``n_padded``: repeated frames added (non-zero only with "pad").

    Raises
    ------
    ValueError
        If ``chunk_length`` is not in ``[1, T]``, ``overlap`` not in
        ``[0, chunk_length)``, ``labels`` has a different length, or ``remainder`` is
        unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.video import cut_clips
    >>> cut = cut_clips(np.arange(10), 4)
    >>> cut.clips.tolist(), cut.starts.tolist(), cut.n_uncovered
    ([[0, 1, 2, 3], [4, 5, 6, 7]], [0, 4], 2)
    >>> cut_clips(np.arange(10), 4, remainder="last").starts.tolist()
    [0, 4, 6]
    """
    arr = np.asarray(frames)
    if arr.ndim < 1 or arr.shape[0] == 0:
        raise ValueError(
            f"frames must have time on axis 0 with at least one frame; got shape {arr.shape}"
        )
    n = arr.shape[0]
    chunk_length = check_int(chunk_length, "chunk_length", 1)
    if chunk_length > n:
        raise ValueError(
            f"chunk_length ({chunk_length}) is longer than the recording (T={n} frames); "
            f"use a chunk_length <= {n}"
        )
    overlap = check_int(overlap, "overlap", 0)
    if overlap >= chunk_length:
        raise ValueError(
            f"overlap must be smaller than chunk_length ({chunk_length}); got {overlap}"
        )
    remainder = check_choice(remainder, "remainder", _REMAINDERS)
    lab = None
    if labels is not None:
        lab = np.asarray(labels)
        if lab.ndim < 1 or lab.shape[0] != n:
            raise ValueError(
                f"labels must have the same number of frames as frames (T={n}) on axis 0; "
                f"got shape {lab.shape}"
            )

    step = chunk_length - overlap
    n_full = (n - chunk_length) // step + 1
    starts = [k * step for k in range(n_full)]
    n_rest = n - (starts[-1] + chunk_length)
    n_padded = 0
    if n_rest > 0 and remainder == "pad":
        starts.append(starts[-1] + step)
        n_padded = starts[-1] + chunk_length - n
    elif n_rest > 0 and remainder == "last":
        starts.append(n - chunk_length)
    starts_arr = np.asarray(starts, dtype=np.int64)
    valid = np.minimum(chunk_length, n - starts_arr)

    def cut(a: np.ndarray) -> np.ndarray:
        idx = np.minimum(starts_arr[:, None] + np.arange(chunk_length), n - 1)
        return a[idx]  # fancy indexing copies; the index repeats frame T-1 as padding

    return Bunch(
        clips=cut(arr),
        labels=None if lab is None else cut(lab),
        starts=starts_arr,
        valid_lengths=valid.astype(np.int64),
        n_frames=n,
        remainder=remainder,
        n_remainder=int(n_rest),
        n_uncovered=int(n_rest) if remainder == "drop" else 0,
        n_padded=int(n_padded),
    )


def clip_window(length: int, window: str = "hann") -> np.ndarray:
    """Weights of :func:`overlap_add` for a clip of ``length`` samples.

    ``"boxcar"`` is all ones. ``"hann"`` is the Hann window of ``length + 2`` points
    without its two zero end points, ``sin(pi * (i + 1) / (length + 1)) ** 2``, so that every
    sample of a clip has a positive weight and the first and last frames of a recording stay
    covered.

    Examples
    --------
    >>> from lqrppg.video import clip_window
    >>> clip_window(3).round(3).tolist()
    [0.5, 1.0, 0.5]
    """
    length = check_int(length, "length", 1)
    window = check_choice(window, "window", _WINDOWS)
    if window == "boxcar":
        return np.ones(length)
    return np.sin(np.pi * np.arange(1, length + 1) / (length + 1)) ** 2


def overlap_add(clip_values, starts, total_length: int, *, window: str = "hann") -> np.ndarray:
    """Join per-clip outputs into one signal by a window-weighted average.

    ``out[t] = sum_k w[t - s_k] v_k[t - s_k] / sum_k w[t - s_k]`` over the clips ``k`` that
    cover sample ``t``, with the weights of :func:`clip_window`. Where clips agree, the
    result equals them (up to floating-point rounding), whatever the window and overlap.

    Parameters
    ----------
    clip_values : array-like of shape (n_clips, L)
        One output per clip and clip sample, e.g. the (n, T) waveforms of an rPPG model.
    starts : array-like of shape (n_clips,)
        First sample of each clip in the joined signal, integers in ``[0, total_length)``
        (e.g. ``cut_clips(...).starts``).
    total_length : int
        Length of the joined signal.
    window : {"hann", "boxcar"}, default="hann"
        Weights across a clip; ``"hann"`` favours clip centres, where a model's output is
        usually best, and blends clip boundaries smoothly.

    Returns
    -------
    ndarray of shape (total_length,), float64
        NaN at samples that no clip covers (e.g. frames dropped by
        ``cut_clips(remainder="drop")``) and where a covering clip value is NaN. Clip samples
        past ``total_length`` (the padding of ``cut_clips(remainder="pad")``) are not used.

    Raises
    ------
    ValueError
        For mismatched shapes, starts outside ``[0, total_length)`` or non-integer starts.

    Examples
    --------
    >>> import numpy as np
    >>> from lqrppg.video import cut_clips, overlap_add
    >>> x = np.arange(8.0)
    >>> cut = cut_clips(x, 4, overlap=2)
    >>> overlap_add(cut.clips, cut.starts, len(x)).round(12).tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    """
    values = np.asarray(clip_values)
    if values.ndim != 2 or 0 in values.shape or values.dtype.kind not in "iuf":
        raise ValueError(
            "clip_values must be a non-empty real array of shape (n_clips, L); got "
            f"dtype {values.dtype} and shape {values.shape}"
        )
    n_clips, length = values.shape
    total_length = check_int(total_length, "total_length", 1)
    st = np.asarray(starts)
    if st.shape != (n_clips,) or (st.size and st.dtype.kind not in "iu"):
        raise ValueError(
            f"starts must be {n_clips} integers (one per clip); got dtype {st.dtype} and "
            f"shape {st.shape}"
        )
    st = st.astype(np.int64)
    if np.any(st < 0) or np.any(st >= total_length):
        raise ValueError(
            f"starts must lie in [0, total_length={total_length}); got values from "
            f"{st.min()} to {st.max()}"
        )
    w = clip_window(length, window)
    idx = st[:, None] + np.arange(length)
    inside = idx < total_length
    num = np.bincount(
        idx[inside], weights=(values.astype(np.float64) * w)[inside], minlength=total_length
    )
    den = np.bincount(
        idx[inside], weights=np.broadcast_to(w, idx.shape)[inside], minlength=total_length
    )
    out = np.full(total_length, np.nan)
    covered = den > 0
    out[covered] = num[covered] / den[covered]
    return out


def resample_frames(frames, fs_in: float, fs_out: float, *, block: int = 256) -> np.ndarray:
    """Frames brought from ``fs_in`` to ``fs_out`` by linear interpolation in time.

    Output frame ``j`` is at time ``j / fs_out``; it is the weighted mean of the two input
    frames around it (``t = j * fs_in / fs_out`` input frames from the start), the last
    output frame at or before the last input frame. From 15 to 30 fps, even output frames
    are the input frames and odd ones the mean of two neighbours (the authors' reference
    inputs were made that way). Computed ``block`` output frames at a time, so memory is the
    float32 output plus one block.

    Parameters
    ----------
    frames : array-like of shape (T, ...)
        Time on axis 0 (video frames (T, H, W, 3), traces (T, 3), a signal (T,)); T >= 2.
    fs_in, fs_out : float
        Frame rates in Hz (> 0).
    block : int, default=256

    Returns
    -------
    ndarray of shape (floor((T - 1) * fs_out / fs_in) + 1, ...), float32

    Examples
    --------
    >>> import numpy as np
    >>> resample_frames(np.array([0.0, 2.0, 4.0]), 15, 30).tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0]
    """
    arr = np.asarray(frames)
    if arr.ndim < 1 or arr.shape[0] < 2 or arr.dtype.kind not in "iuf":
        raise ValueError(
            f"frames must be real values with time on axis 0 and at least 2 frames; got dtype "
            f"{arr.dtype} and shape {arr.shape}"
        )
    for name, value in (("fs_in", fs_in), ("fs_out", fs_out)):
        if not (isinstance(value, (int, float, np.number)) and np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive frame rate in Hz; got {value!r}")
    block = check_int(block, "block", 1)
    n_in = arr.shape[0]
    n_out = int(np.floor((n_in - 1) * fs_out / fs_in + 1e-9)) + 1
    out = np.empty((n_out, *arr.shape[1:]), dtype=np.float32)
    shape = (-1,) + (1,) * (arr.ndim - 1)
    for s in range(0, n_out, block):
        pos = np.arange(s, min(s + block, n_out)) * (fs_in / fs_out)
        i0 = np.minimum(np.floor(pos + 1e-9).astype(np.int64), n_in - 2)
        w = (pos - i0).reshape(shape)
        out[s : s + len(pos)] = (1 - w) * arr[i0] + w * arr[i0 + 1]
    return out
