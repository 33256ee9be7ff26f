"""Tests of the LQ-rPPG losses against an independent NumPy reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lqrppg.nn import bpm_power_spectrum, frequency_cross_entropy, hybrid_loss, neg_pearson_loss

FS = 30.0


# ------------------------------------------------------------------ NumPy reference


def np_band_power(x, fs, bpm_min=45, bpm_max=149):
    """Power at each integer bpm of the mean-removed, Hann-windowed clips, by direct sums."""
    x = np.asarray(x, dtype=np.float64)
    T = x.shape[1]
    xw = (x - x.mean(axis=1, keepdims=True)) * np.hanning(T)
    t = np.arange(T)
    out = np.empty((x.shape[0], bpm_max - bpm_min + 1))
    for k, bpm in enumerate(range(bpm_min, bpm_max + 1)):
        spectrum = (xw * np.exp(-2j * np.pi * (bpm / 60.0) * t / fs)).sum(axis=1)
        out[:, k] = np.abs(spectrum) ** 2
    return out


def np_log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def np_freq_ce(pred, target, fs, sigma=None, normalize=True, bpm_min=45, bpm_max=149):
    p = np_band_power(pred, fs, bpm_min, bpm_max)
    logits = p / p.sum(axis=1, keepdims=True) if normalize else p
    logq = np_log_softmax(logits)
    label = np_band_power(target, fs, bpm_min, bpm_max).argmax(axis=1)
    if sigma is None:
        return float(-logq[np.arange(len(label)), label].mean())
    bins = np.arange(p.shape[1])
    soft = np.exp(-0.5 * ((bins[None] - label[:, None]) / sigma) ** 2)
    soft /= soft.sum(axis=1, keepdims=True)
    kl = (soft * (np.log(soft, where=soft > 0, out=np.zeros_like(soft)) - logq)).sum(axis=1)
    return float(kl.mean())


def np_neg_pearson(pred, target):
    return float(
        np.mean([1.0 - np.corrcoef(p, t)[0, 1] for p, t in zip(pred, target, strict=True)])
    )


def sine(bpm, T=160, fs=FS, phase=0.0):
    t = np.arange(T) / fs
    return np.sin(2 * np.pi * bpm / 60.0 * t + phase)


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    T = 160
    target = np.stack([sine(bpm, T, phase=i) for i, bpm in enumerate((55, 72, 96, 130))])
    target += 0.3 * rng.standard_normal(target.shape)
    pred = target + 0.8 * rng.standard_normal(target.shape)
    return torch.from_numpy(pred), torch.from_numpy(target)


# ------------------------------------------------------------------ tests


def test_band_power_matches_numpy(pair):
    pred, _ = pair
    torch.testing.assert_close(
        bpm_power_spectrum(pred, FS), torch.from_numpy(np_band_power(pred.numpy(), FS))
    )


@pytest.mark.parametrize("bpm", [45, 60, 72, 97, 120, 149])
@pytest.mark.parametrize("fs", [30.0, 25.0])
def test_sinusoid_peaks_at_its_bpm(bpm, fs):
    x = torch.tensor(sine(bpm, T=300, fs=fs, phase=0.4))[None]
    power = bpm_power_spectrum(x, fs)
    assert int(power.argmax()) + 45 == bpm
    # and the frequency CE is then smallest for a prediction at the same rate
    right = frequency_cross_entropy(x, x, fs)
    other = bpm + 15 if bpm < 130 else bpm - 25  # still inside the band
    wrong = frequency_cross_entropy(torch.tensor(sine(other, 300, fs))[None], x, fs)
    assert right < wrong


def test_neg_pearson_matches_numpy(pair):
    pred, target = pair
    loss = neg_pearson_loss(pred, target)
    assert loss.shape == ()
    assert loss.item() == pytest.approx(np_neg_pearson(pred.numpy(), target.numpy()), abs=1e-8)


def test_neg_pearson_extremes(pair):
    _, target = pair
    # eps = 1e-8 against sums of squares of about 100 leaves r short of 1 by ~1e-10
    assert neg_pearson_loss(target.clone(), target).item() == pytest.approx(0.0, abs=1e-9)
    assert neg_pearson_loss(3.0 * target + 2.0, target).item() == pytest.approx(0.0, abs=1e-9)
    assert neg_pearson_loss(-target, target).item() == pytest.approx(2.0, abs=1e-9)
    constant = torch.ones_like(target)
    assert neg_pearson_loss(constant, target).item() == pytest.approx(1.0)


@pytest.mark.parametrize("normalize", [True, False])
def test_frequency_ce_matches_numpy(pair, normalize):
    pred, target = pair
    loss = frequency_cross_entropy(pred, target, FS, normalize=normalize)
    expected = np_freq_ce(pred.numpy(), target.numpy(), FS, normalize=normalize)
    assert loss.item() == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("sigma", [1.0, 3.0])
def test_frequency_kl_matches_numpy(pair, sigma):
    pred, target = pair
    loss = frequency_cross_entropy(pred, target, FS, sigma=sigma)
    expected = np_freq_ce(pred.numpy(), target.numpy(), FS, sigma=sigma)
    assert loss.item() == pytest.approx(expected, rel=1e-9)
    assert loss.item() > 0


def test_frequency_ce_custom_band_matches_numpy(pair):
    pred, target = pair
    loss = frequency_cross_entropy(pred, target, FS, bpm_min=40, bpm_max=180)
    expected = np_freq_ce(pred.numpy(), target.numpy(), FS, bpm_min=40, bpm_max=180)
    assert loss.item() == pytest.approx(expected, rel=1e-9)


def test_normalized_ce_ignores_amplitude_and_offset(pair):
    pred, target = pair
    base = frequency_cross_entropy(pred, target, FS)
    assert frequency_cross_entropy(5.0 * pred + 3.0, target, FS).item() == pytest.approx(
        base.item(), rel=1e-9
    )


def test_hybrid_is_weighted_sum(pair):
    pred, target = pair
    np_l = neg_pearson_loss(pred, target)
    ce = frequency_cross_entropy(pred, target, FS, sigma=2.0)
    torch.testing.assert_close(hybrid_loss(pred, target, FS, sigma=2.0), 0.2 * np_l + ce)
    torch.testing.assert_close(
        hybrid_loss(pred, target, FS, alpha=0.7, beta=0.1),
        0.7 * np_l + 0.1 * frequency_cross_entropy(pred, target, FS),
    )


@pytest.mark.parametrize(
    "loss",
    [
        neg_pearson_loss,
        lambda p, t: frequency_cross_entropy(p, t, FS),
        lambda p, t: frequency_cross_entropy(p, t, FS, sigma=3.0),
        lambda p, t: hybrid_loss(p, t, FS),
    ],
)
def test_batch_is_mean_of_single_clips_and_gradients_flow(pair, loss):
    pred, target = (x[:3].float() for x in pair)
    pred_before, target_before = pred.clone(), target.clone()
    leaf = pred.clone().requires_grad_()
    batch = loss(leaf, target)
    singles = torch.stack([loss(pred[i : i + 1], target[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(batch.detach(), singles.mean(), rtol=1e-5, atol=1e-6)
    batch.backward()
    assert leaf.grad is not None and torch.isfinite(leaf.grad).all()
    assert leaf.grad.abs().max() > 0
    assert torch.equal(pred, pred_before) and torch.equal(target, target_before)


def test_gradcheck_float64():
    g = torch.Generator().manual_seed(1)
    pred = torch.randn(2, 40, generator=g, dtype=torch.float64, requires_grad=True)
    target = torch.randn(2, 40, generator=g, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda p: hybrid_loss(p, target, FS, sigma=3.0), (pred,))
    assert torch.autograd.gradcheck(lambda p: hybrid_loss(p, target, FS), (pred,))


def test_descending_the_gradient_lowers_the_loss(pair):
    _, target = pair
    pred = torch.tensor(np.stack([sine(110, phase=0.3)] * 4)).requires_grad_()
    opt = torch.optim.SGD([pred], lr=0.5)
    first = None
    for _ in range(20):
        opt.zero_grad()
        loss = hybrid_loss(pred, target, FS)
        first = loss.item() if first is None else first
        loss.backward()
        opt.step()
    assert hybrid_loss(pred, target, FS).item() < first


def test_float32_and_inference_mode_cache():
    t = torch.tensor(sine(80, T=96), dtype=torch.float32)[None]
    with torch.inference_mode():
        frequency_cross_entropy(t, t, FS)  # fills the DFT cache for this (T, fs, dtype)
    leaf = t.clone().requires_grad_()
    loss = frequency_cross_entropy(leaf, t, FS)
    assert loss.dtype == torch.float32
    loss.backward()  # a cached basis made under inference_mode must still work here
    assert torch.isfinite(leaf.grad).all()


@pytest.mark.parametrize(
    ("pred", "target", "kwargs", "match"),
    [
        (torch.zeros(2, 80), torch.zeros(2, 81), {}, r"same shape \(batch, T\)"),
        (torch.zeros(80), torch.zeros(80), {}, r"pred must be a tensor of shape \(batch, T\)"),
        (torch.zeros(1, 2, 80), torch.zeros(1, 2, 80), {}, r"shape \(batch, T\)"),
        (torch.zeros(2, 80), torch.zeros(2, 80, dtype=torch.long), {}, "floating-point"),
        (torch.zeros(2, 39), torch.zeros(2, 39), {}, r"too short .* T >= 40"),
        (torch.zeros(2, 80), torch.zeros(2, 80), {"fs": 0.0}, "fs must be a positive"),
        (torch.zeros(2, 80), torch.zeros(2, 80), {"fs": -30.0}, "fs must be a positive"),
        (torch.zeros(2, 80), torch.zeros(2, 80), {"fs": 4.0}, "Nyquist"),
        (torch.zeros(2, 80), torch.zeros(2, 80), {"bpm_min": 150}, "bpm_min <= bpm_max"),
        (torch.zeros(2, 80), torch.zeros(2, 80), {"bpm_min": 0}, "bpm_min must be a positive"),
        (torch.zeros(2, 80), torch.zeros(2, 80), {"sigma": 0.0}, "sigma must be None or a"),
    ],
)
def test_frequency_ce_errors(pred, target, kwargs, match):
    kwargs = {"fs": FS, **kwargs}
    with pytest.raises(ValueError, match=match):
        frequency_cross_entropy(pred, target, **kwargs)


def test_neg_pearson_errors():
    with pytest.raises(ValueError, match="same shape"):
        neg_pearson_loss(torch.zeros(2, 10), torch.zeros(3, 10))
    with pytest.raises(ValueError, match="T >= 2"):
        neg_pearson_loss(torch.zeros(2, 1), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="at least one clip"):
        neg_pearson_loss(torch.zeros(0, 10), torch.zeros(0, 10))


def test_minimum_length_is_one_period_of_bpm_min():
    ok = torch.tensor(sine(70, T=math.ceil(60 * 25.0 / 50)), dtype=torch.float64)[None]
    frequency_cross_entropy(ok, ok, fs=25.0, bpm_min=50)  # T = 30 is exactly enough
    with pytest.raises(ValueError, match="T >= 30"):
        frequency_cross_entropy(ok[:, :-1], ok[:, :-1], fs=25.0, bpm_min=50)
