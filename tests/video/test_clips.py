"""cut_clips and overlap_add."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lqrppg.video import clip_window, cut_clips, overlap_add


@st.composite
def cut_settings(draw):
    n = draw(st.integers(1, 200))
    length = draw(st.integers(1, n))
    overlap = draw(st.integers(0, length - 1))
    return n, length, overlap


@settings(max_examples=150, deadline=None)
@given(
    cut_settings(),
    st.sampled_from(["drop", "pad", "last"]),
    st.sampled_from(["hann", "boxcar"]),
)
def test_cut_then_overlap_add_reproduces_the_signal(setting, remainder, window):
    n, length, overlap = setting
    x = np.random.default_rng(n * 7 + length).standard_normal(n)
    cut = cut_clips(x, length, overlap=overlap, remainder=remainder)
    assert cut.clips.shape == (cut.starts.size, length)
    for clip, start, valid in zip(cut.clips, cut.starts, cut.valid_lengths, strict=True):
        np.testing.assert_array_equal(clip[:valid], x[start : start + valid])
        assert np.all(clip[valid:] == x[-1])  # padding repeats the last frame
    joined = overlap_add(cut.clips, cut.starts, n, window=window)
    covered = np.zeros(n, dtype=bool)
    for s in cut.starts:
        covered[s : s + length] = True
    np.testing.assert_allclose(joined[covered], x[covered], rtol=1e-12, atol=1e-12)
    assert np.isnan(joined[~covered]).all()
    # The report accounts for every frame.
    assert cut.n_uncovered == int((~covered).sum())
    assert cut.n_padded == int(cut.starts[-1] + length - n) if remainder == "pad" else True
    if remainder != "drop":
        assert covered.all()


def test_remainder_report():
    twelve = np.arange(12)
    drop = cut_clips(twelve, 5, overlap=1)
    assert drop.starts.tolist() == [0, 4] and drop.n_remainder == 3 and drop.n_uncovered == 3
    pad = cut_clips(twelve, 5, overlap=1, remainder="pad")
    assert pad.starts.tolist() == [0, 4, 8] and pad.n_padded == 1 and pad.n_uncovered == 0
    x = np.arange(10)
    pad = cut_clips(x, 4, remainder="pad")
    assert pad.starts.tolist() == [0, 4, 8] and pad.n_padded == 2
    assert pad.clips[-1].tolist() == [8, 9, 9, 9] and pad.valid_lengths.tolist() == [4, 4, 2]
    last = cut_clips(x, 4, remainder="last")
    assert last.starts.tolist() == [0, 4, 6] and last.clips[-1].tolist() == [6, 7, 8, 9]
    exact = cut_clips(np.arange(8), 4, remainder="pad")
    assert exact.starts.tolist() == [0, 4] and exact.n_remainder == 0 and exact.n_padded == 0


def test_video_frames_and_labels_are_cut_alike():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (50, 4, 5, 3), dtype=np.uint8)
    labels = rng.standard_normal(50)
    before = frames.copy()
    cut = cut_clips(frames, 16, overlap=8, labels=labels, remainder="last")
    assert cut.clips.shape == (6, 16, 4, 5, 3) and cut.clips.dtype == np.uint8
    assert cut.labels.shape == (6, 16)
    for k, s in enumerate(cut.starts):
        np.testing.assert_array_equal(cut.clips[k], frames[s : s + 16])
        np.testing.assert_array_equal(cut.labels[k], labels[s : s + 16])
    cut.clips[0] = 0  # a copy: the input is untouched
    np.testing.assert_array_equal(frames, before)


def test_hann_blends_disagreeing_clips_by_position():
    values = np.array([[0.0] * 4, [1.0] * 4])
    out = overlap_add(values, [0, 2], 6, window="hann")
    w = clip_window(4)
    assert out[:2].tolist() == [0.0, 0.0] and out[4:].tolist() == [1.0, 1.0]
    np.testing.assert_allclose(out[2:4], [w[0] / (w[2] + w[0]), w[1] / (w[3] + w[1])])
    box = overlap_add(values, [0, 2], 6, window="boxcar")
    np.testing.assert_allclose(box, [0, 0, 0.5, 0.5, 1, 1])


def test_clip_window():
    assert clip_window(1).tolist() == [1.0]
    w = clip_window(9)
    assert np.all(w > 0) and w[4] == pytest.approx(1.0) and np.allclose(w, w[::-1])
    assert clip_window(5, "boxcar").tolist() == [1.0] * 5


def test_overlap_add_drops_padding_past_the_end_and_keeps_nan():
    out = overlap_add(np.array([[1.0, 2.0, 3.0], [4.0, np.nan, 6.0]]), [0, 3], 5)
    assert out[:4].tolist() == [1.0, 2.0, 3.0, 4.0] and np.isnan(out[4])


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((np.arange(10), 11), {}, r"chunk_length \(11\) is longer than the recording \(T=10"),
        ((np.arange(10), 0), {}, "chunk_length"),
        ((np.arange(10), 4), {"overlap": 4}, "overlap must be smaller"),
        ((np.arange(10), 4), {"overlap": -1}, "overlap"),
        ((np.arange(10), 4), {"remainder": "wrap"}, "remainder"),
        ((np.arange(10), 4), {"labels": np.arange(9)}, "labels"),
        ((np.zeros(0), 1), {}, "at least one frame"),
    ],
)
def test_cut_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cut_clips(*args, **kwargs)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((np.ones(4), [0], 8), {}, r"\(n_clips, L\)"),
        ((np.ones((2, 4)), [0], 8), {}, "starts must be 2 integers"),
        ((np.ones((2, 4)), [0.0, 2.0], 8), {}, "integers"),
        ((np.ones((2, 4)), [0, 8], 8), {}, r"starts must lie in \[0, total_length=8\)"),
        ((np.ones((2, 4)), [-1, 2], 8), {}, "starts must lie"),
        ((np.ones((2, 4)), [0, 2], 0), {}, "total_length"),
        ((np.ones((2, 4)), [0, 2], 8), {"window": "hamming"}, "window"),
    ],
)
def test_overlap_add_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        overlap_add(*args, **kwargs)
