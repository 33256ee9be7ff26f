"""Predicting a whole recording with a clip model: cut, predict, overlap-add."""

from __future__ import annotations

from typing import Any

import numpy as np

from lqrppg._validation import check_int
from lqrppg.video import cut_clips, overlap_add

__all__ = ["predict_recording"]


def predict_recording(
    model: Any,
    frames,
    *,
    overlap: int = 0,
    batch_clips: int = 16,
    window: str = "hann",
) -> np.ndarray:
    """The pulse waveform of a recording of any length from a fitted clip model.

    The recording is covered by clips of the model's length (``model.n_frames_`` frames):
    clip ``k`` starts at ``k * (n_frames_ - overlap)``, and one more clip ends on the last
    frame when the others leave frames over (:func:`lqrppg.video.cut_clips` with
    ``remainder="last"``), so every frame is predicted. The clips are predicted
    ``batch_clips`` at a time (only that many clips are copied out of ``frames`` at once)
    and their waveforms joined by a ``window``-weighted overlap-add
    (:func:`lqrppg.video.overlap_add`), which blends clip boundaries.

    Parameters
    ----------
    model : fitted estimator
        With ``n_frames_`` (clip length) and ``predict(X)`` taking ``(n, n_frames_, H, W,
        3)`` clips and returning ``(n, n_frames_)`` waveforms, e.g.
        :class:`lqrppg.LQRPPGRegressor`.
    frames : array-like of shape (T, H, W, 3)
        The recording, ``T >= n_frames_``, at the model's frame rate (``model.fs``; resample
        it first otherwise, e.g. with :func:`lqrppg.video.resample_frames`).
    overlap : int, default=0
        Frames shared by consecutive clips, in ``[0, n_frames_)``. 0 is the authors'
        non-overlapping clips.
    batch_clips : int, default=16
        Clips per ``predict`` call.
    window : {"hann", "boxcar"}, default="hann"
        Weights of the overlap-add across a clip.

    Returns
    -------
    ndarray of shape (T,), float64
        The waveform at the frames' times; each clip's part is standardised by the model.

    Raises
    ------
    ValueError
        If ``model`` is not a fitted clip model, or the recording is shorter than a clip.

    Examples
    --------
    >>> from lqrppg import LQRPPGRegressor
    >>> from lqrppg.datasets import make_synthetic_rppg
    >>> data = make_synthetic_rppg(n_subjects=1, duration=8, frame_size=(32, 32),
    ...                            random_state=0)
    >>> wave = predict_recording(LQRPPGRegressor.pretrained(), data.videos[0])
    >>> wave.shape
    (240,)
    """
    n_clip = getattr(model, "n_frames_", None)
    if n_clip is None or not callable(getattr(model, "predict", None)):
        raise ValueError(
            "model must be a fitted clip model with n_frames_ and predict (e.g. a fitted "
            f"LQRPPGRegressor); got {type(model).__name__}"
        )
    frames = np.asarray(frames)
    if frames.ndim != 4:
        raise ValueError(
            f"frames must be one recording of shape (T, H, W, 3); got shape {frames.shape}"
        )
    if len(frames) < n_clip:
        raise ValueError(
            f"the recording has {len(frames)} frames, fewer than the {n_clip} frames of one "
            "clip of the model"
        )
    batch_clips = check_int(batch_clips, "batch_clips", 1)
    plan = cut_clips(np.arange(len(frames)), int(n_clip), overlap=overlap, remainder="last")
    waves = np.empty((len(plan.starts), int(n_clip)), dtype=np.float64)
    for b in range(0, len(plan.starts), batch_clips):
        idx = plan.clips[b : b + batch_clips]
        waves[b : b + len(idx)] = np.asarray(model.predict(frames[idx]), dtype=np.float64)
    return overlap_add(waves, plan.starts, len(frames), window=window)
