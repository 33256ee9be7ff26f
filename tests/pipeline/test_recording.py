"""predict_recording (cut, predict, join) and resample_frames, against direct references."""

from __future__ import annotations

import numpy as np
import pytest

from lqrppg.pipeline import predict_recording
from lqrppg.video import clip_window, resample_frames


class _ClipModel:
    """A fake clip model: the clip's per-frame mean intensity, standardised per clip."""

    def __init__(self, n_frames):
        self.n_frames_ = n_frames
        self.calls = []

    def predict(self, X):
        X = np.asarray(X, dtype=np.float64)
        self.calls.append(len(X))
        m = X.mean(axis=(2, 3, 4))
        m = m - m.mean(axis=1, keepdims=True)
        return m / m.std(axis=1, keepdims=True)


def _reference(frames, n, starts):
    """Hann-weighted average of the clips' outputs, written out sample by sample."""
    model = _ClipModel(n)
    num, den = np.zeros(len(frames)), np.zeros(len(frames))
    w = clip_window(n)
    for s in starts:
        v = model.predict(frames[None, s : s + n])[0]
        num[s : s + n] += w * v
        den[s : s + n] += w
    return num / den


@pytest.mark.parametrize(("n_total", "overlap"), [(40, 0), (37, 0), (37, 3), (10, 0)])
def test_equals_the_written_out_overlap_add(n_total, overlap):
    rng = np.random.default_rng(n_total)
    frames = rng.integers(0, 256, (n_total, 4, 4, 3), dtype=np.uint8)
    step = 10 - overlap
    starts = list(range(0, n_total - 10 + 1, step))
    if starts[-1] + 10 < n_total:
        starts.append(n_total - 10)
    model = _ClipModel(10)
    out = predict_recording(model, frames, overlap=overlap, batch_clips=2)
    np.testing.assert_allclose(out, _reference(frames, 10, starts), rtol=1e-12)
    assert all(c <= 2 for c in model.calls) and sum(model.calls) == len(starts)
    assert frames.flags.writeable  # the input is not touched


def test_batching_does_not_change_the_result():
    frames = np.random.default_rng(1).normal(size=(95, 2, 2, 3))
    a = predict_recording(_ClipModel(16), frames, batch_clips=1)
    b = predict_recording(_ClipModel(16), frames, batch_clips=64)
    np.testing.assert_array_equal(a, b)


def test_errors():
    with pytest.raises(ValueError, match="fitted clip model"):
        predict_recording(object(), np.zeros((20, 2, 2, 3)))
    with pytest.raises(ValueError, match="fewer than the 30 frames"):
        predict_recording(_ClipModel(30), np.zeros((20, 2, 2, 3)))
    with pytest.raises(ValueError, match=r"shape \(T, H, W, 3\)"):
        predict_recording(_ClipModel(3), np.zeros((20, 3)))


def test_resample_frames_is_linear_interpolation():
    t_in = np.arange(31) / 15.0
    ramp = 3.0 * t_in + 1.0
    out = resample_frames(ramp, 15.0, 30.0)
    np.testing.assert_allclose(out, 3.0 * np.arange(61) / 30.0 + 1.0, rtol=1e-6)
    # 30 -> 25 fps: samples of a sine at the new times (linear interpolation error only)
    t = np.arange(300) / 30.0
    x = np.sin(2 * np.pi * 1.2 * t)
    y = resample_frames(x, 30.0, 25.0)
    assert len(y) == 250
    np.testing.assert_allclose(y, np.sin(2 * np.pi * 1.2 * np.arange(250) / 25.0), atol=0.01)
    # frames: the authors' 15 -> 30 rule (even = input, odd = mean of neighbours)
    v = np.random.default_rng(0).integers(0, 256, (5, 3, 3, 3), dtype=np.uint8)
    up = resample_frames(v, 15, 30)
    np.testing.assert_array_equal(up[0::2], v)
    np.testing.assert_allclose(up[1::2], (v[:-1].astype(float) + v[1:]) / 2)
    with pytest.raises(ValueError, match="positive frame rate"):
        resample_frames(v, 0, 30)
