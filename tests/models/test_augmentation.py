"""The clip conversion and the authors' augmentation, against NumPy references."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lqrppg.models import augment_batch, clips_to_tensor, compress_time, stretch_time


def _channels_first(clips: np.ndarray) -> np.ndarray:
    return np.transpose(clips, (0, 4, 1, 2, 3))


@pytest.mark.parametrize("T", [8, 9, 40])
@pytest.mark.parametrize("offset", [0, 1, 3])
def test_stretch_is_linear_interpolation_at_half_speed(T, offset):
    x = np.random.default_rng(T).standard_normal(T)
    expected = np.interp((offset + np.arange(T)) / 2.0, np.arange(T), x)
    got = stretch_time(torch.from_numpy(x), offset)
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-12)


def test_stretch_halves_the_frequency_of_a_sine():
    t = np.arange(160) / 30.0
    x = torch.from_numpy(np.sin(2 * np.pi * 2.0 * t))
    np.testing.assert_allclose(
        stretch_time(x).numpy(), np.sin(2 * np.pi * 1.0 * t), rtol=0, atol=0.03
    )


def test_stretch_along_an_inner_axis():
    x = torch.randn(3, 10, 4, 5, dtype=torch.float64)
    got = stretch_time(x, 2, dim=1)
    ref = np.apply_along_axis(
        lambda s: np.interp((2 + np.arange(10)) / 2.0, np.arange(10), s), 1, x.numpy()
    )
    np.testing.assert_allclose(got.numpy(), ref, rtol=0, atol=1e-12)


def test_stretch_rejects_a_bad_offset():
    with pytest.raises(ValueError, match="offset"):
        stretch_time(torch.zeros(4), 4)


@pytest.mark.parametrize("T", [8, 9, 40])
def test_compress_takes_every_second_sample_and_tiles(T):
    x = np.arange(T, dtype=float) * 1.5
    half = x[::2]
    expected = np.resize(half, T)  # repeats half to fill T
    np.testing.assert_array_equal(compress_time(torch.from_numpy(x)).numpy(), expected)
    video = torch.randn(3, T, 2, 2)
    np.testing.assert_array_equal(
        compress_time(video, dim=1).numpy(), video.numpy()[:, np.resize(np.arange(0, T, 2), T)]
    )


def test_clips_to_tensor_layout_and_scaling():
    rng = np.random.default_rng(0)
    clips = rng.integers(0, 256, size=(2, 4, 8, 8, 3), dtype=np.uint8)
    x = clips_to_tensor(torch.from_numpy(clips), "none")
    assert x.dtype == torch.float32 and x.shape == (2, 3, 4, 8, 8)
    np.testing.assert_allclose(x.numpy(), _channels_first(clips) / 255.0, rtol=1e-6)
    z = clips_to_tensor(torch.from_numpy(clips)).numpy().astype(np.float64)
    ref = clips.astype(np.float64)
    ref = (ref - ref.mean(axis=(1, 2, 3, 4), keepdims=True)) / ref.std(
        axis=(1, 2, 3, 4), keepdims=True
    )
    np.testing.assert_allclose(z, _channels_first(ref), atol=1e-5)
    # standardisation makes the intensity scale irrelevant
    floats = torch.from_numpy(clips.astype(np.float64) * 7.0)
    np.testing.assert_allclose(clips_to_tensor(floats).numpy(), z, atol=1e-5)
    assert not clips_to_tensor(torch.zeros(1, 2, 8, 8, 3)).any()  # constant: zeros, no NaN
    with pytest.raises(ValueError, match="preprocessing"):
        clips_to_tensor(torch.from_numpy(clips), "diff")


def test_clips_to_tensor_is_a_new_channels_last_tensor():
    clips = torch.rand(2, 4, 8, 8, 3)
    before = clips.clone()
    for preprocessing in ("none", "standardize"):
        x = clips_to_tensor(clips, preprocessing)
        # (batch, 3, T, H, W) over memory laid out as (batch, T, H, W, 3)
        assert x.permute(0, 2, 3, 4, 1).is_contiguous()
        assert x.data_ptr() != clips.data_ptr()
        x.zero_()
        assert torch.equal(clips, before)


def _batch(B=6, T=12, H=4, W=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, 3, T, H, W, generator=g), torch.randn(B, T, generator=g)


def test_augment_batch_matches_a_numpy_reference():
    x, label = _batch()
    hr = np.array([120.0, 60.0, 80.0, np.nan, 95.0, 70.0])
    x0, label0 = x.clone(), label.clone()
    out_x, out_y, changed = augment_batch(x, label, hr, np.random.default_rng(3))
    # replay the draws of the documented stream
    rng = np.random.default_rng(3)
    u = rng.random((6, 2))
    offsets = rng.integers(0, 12 // 2, size=6)
    T = 12
    for i in range(6):
        xv, yv = x0[i].numpy(), label0[i].numpy()
        if u[i, 0] < 0.5 and hr[i] > 90:
            pos = (offsets[i] + np.arange(T)) / 2.0
            yv = np.interp(pos, np.arange(T), yv)
            xv = np.apply_along_axis(lambda s, p=pos: np.interp(p, np.arange(T), s), 1, xv)
            assert changed[i]
        elif u[i, 0] < 0.5 and hr[i] < 75:
            idx = np.resize(np.arange(0, T, 2), T)
            yv, xv = yv[idx], xv[:, idx]
            assert changed[i]
        else:
            assert not changed[i]
        if u[i, 1] < 0.5:
            xv = xv[..., ::-1]
        np.testing.assert_allclose(out_x[i].numpy(), xv, atol=1e-6)
        np.testing.assert_allclose(out_y[i].numpy(), yv, atol=1e-6)
    # the inputs are left alone
    assert torch.equal(x, x0) and torch.equal(label, label0)


def test_augment_batch_keeps_the_memory_layout():
    x, label = _batch()
    x_last = x.permute(0, 2, 3, 4, 1).contiguous().permute(0, 4, 1, 2, 3)
    hr = np.array([120.0, 60.0, 80.0, np.nan, 95.0, 70.0])
    out, y, _ = augment_batch(x_last, label, hr, np.random.default_rng(3))
    ref, y_ref, _ = augment_batch(x, label, hr, np.random.default_rng(3))
    assert out.permute(0, 2, 3, 4, 1).is_contiguous()
    assert torch.equal(out, ref) and torch.equal(y, y_ref)


def test_augment_batch_decisions_follow_the_heart_rate():
    x, label = _batch(B=4)
    hr = np.array([91.0, 74.0, 80.0, np.nan])
    _, y, changed = augment_batch(
        x, label, hr, np.random.default_rng(0), resample_probability=1.0, flip_probability=0.0
    )
    assert changed.tolist() == [True, True, False, False]
    assert torch.equal(y[2:], label[2:])
    out_x, _, changed = augment_batch(
        x, label, hr, np.random.default_rng(0), resample_probability=0.0, flip_probability=1.0
    )
    assert not changed.any()
    np.testing.assert_array_equal(out_x.numpy(), x.numpy()[..., ::-1])  # horizontal flip


def test_augmentation_stream_is_deterministic_and_data_independent():
    x, label = _batch()
    a = augment_batch(x, label, np.full(6, 120.0), np.random.default_rng(7))
    b = augment_batch(x, label, np.full(6, 120.0), np.random.default_rng(7))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    c = augment_batch(x, label, np.full(6, 120.0), np.random.default_rng(8))
    assert not torch.equal(a[0], c[0])
    # every clip consumes the same draws whatever its heart rate
    r1, r2 = np.random.default_rng(1), np.random.default_rng(1)
    augment_batch(x, label, np.full(6, 120.0), r1)
    augment_batch(x, label, np.full(6, np.nan), r2)
    assert r1.bit_generator.state == r2.bit_generator.state


def test_a_resampling_that_would_flatten_the_label_is_skipped():
    """A stretch inside a flat span (a sensor dropout) would leave a constant label."""
    T = 40
    t = np.arange(T) / 30.0
    pulse = np.sin(2 * np.pi * 2.0 * t)
    dropout = pulse.copy()
    dropout[: 3 * T // 4] = 1.0  # saturated: every stretch window (T/2 from <= T/4) is flat
    label = torch.tensor(np.stack([pulse, dropout]), dtype=torch.float32)
    x = torch.randn(2, 3, T, 4, 4, generator=torch.Generator().manual_seed(0))
    hr = np.array([120.0, 120.0])
    for seed in range(5):
        out_x, out_y, changed = augment_batch(
            x, label, hr, np.random.default_rng(seed), resample_probability=1.0,
            flip_probability=0.0,
        )  # fmt: skip
        assert changed.tolist() == [True, False]
        assert torch.equal(out_y[1], label[1]) and torch.equal(out_x[1], x[1])
        assert not torch.equal(out_y[0], label[0])


def test_fit_with_long_label_dropouts_and_augmentation():
    """Regression: a dropout longer than half a clip made a stretched label constant and
    stopped fit with 'X holds 1 constant clip(s)' from the label quantizer."""
    from lqrppg.datasets import make_synthetic_rppg
    from lqrppg.models import LQRPPGRegressor

    T = 160
    data = make_synthetic_rppg(
        n_subjects=4, duration=T / 30, frame_size=(8, 8), hr_range=(100, 140), random_state=0
    )
    y = data.ppg.copy()
    # Saturated for the first 100 samples: the label's HR (from the rest) is above 90 bpm,
    # so clips are stretched, and a stretch from offset < 40 (T/2 samples) is all flat.
    y[:, :100] = y.max()
    X = np.concatenate([data.videos] * 4)
    y = np.concatenate([y] * 4)
    model = LQRPPGRegressor(
        chunk_length=T, dim=8, n_blocks=1, d_state=4, levels=(2, 4), epochs=2,
        quantizer_epochs=1, batch_size=4, validation_fraction=0.0, num_threads=1,
        verbose=0, random_state=0,
    )  # fmt: skip
    model.fit(X, y)  # must not raise
    assert model.predict(X[:2]).shape == (2, T)
