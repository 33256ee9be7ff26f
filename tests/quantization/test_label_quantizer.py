"""Tests of LabelQuantizer and of the shared training utilities it runs on."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

import lqrppg
from lqrppg._training import (
    random_seed,
    resolve_device,
    torch_generator,
    torch_rng,
    train_module,
    train_validation_split,
)
from lqrppg.quantization import LabelQuantizer

FS = 30.0
T = 48
TINY = {"levels": (2, 4, 8), "epochs": 2, "d_state": 4, "batch_size": 4}


def pulse_labels(n, length=T, fs=FS, seed=0):
    """Pulse-like labels: fundamental + harmonic at 60-120 bpm, baseline wander, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / fs
    f = rng.uniform(1.0, 2.0, size=(n, 1))
    ph = rng.uniform(0, 2 * np.pi, size=(n, 3))
    x = np.sin(2 * np.pi * f * t + ph[:, :1]) + 0.4 * np.sin(4 * np.pi * f * t + ph[:, 1:2])
    x += 0.3 * np.sin(2 * np.pi * 0.2 * t + ph[:, 2:]) + 0.1 * rng.standard_normal((n, length))
    return 5.0 + 2.0 * x


def standardized(X):
    Z = X - X.mean(axis=1, keepdims=True)
    return Z / Z.std(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def X():
    return pulse_labels(12)


@pytest.fixture(scope="module")
def fitted(X):
    return LabelQuantizer(random_state=0, **TINY).fit(X)


# ------------------------------------------------------------------ outputs


def test_output_layouts(fitted, X):
    n, L = len(X), len(TINY["levels"])
    codes = fitted.encode(X)
    labels = fitted.pseudo_labels(X)
    assert codes.shape == (n, L, T) and codes.dtype == np.int64
    assert labels.shape == (n, L, T) and labels.dtype == np.float64
    out = fitted.transform(X)
    assert out.shape == (n, T) and out.dtype == np.float64
    np.testing.assert_array_equal(out, labels[:, -1])
    np.testing.assert_array_equal(fitted.decode(codes), labels)
    np.testing.assert_array_equal(fitted.fit_transform(X), out)  # same seed, same fit
    assert fitted.n_features_in_ == T
    assert fitted.levels_ == (2, 4, 8)
    assert list(fitted.get_feature_names_out()) == [f"x{i}" for i in range(T)]


def test_output_level_selects_level(fitted, X):
    labels = fitted.pseudo_labels(X)
    for level in (0, 1, -2):
        est = pickle.loads(pickle.dumps(fitted)).set_params(output_level=level)
        np.testing.assert_array_equal(est.transform(X), labels[:, level])


def test_every_value_is_a_codeword_of_its_level(fitted, X):
    labels = fitted.pseudo_labels(X)
    codes = fitted.encode(X)
    for level, (k, book) in enumerate(zip(fitted.levels_, fitted.codebooks_, strict=True)):
        assert book.shape == (k,) and book.dtype == np.float64
        assert np.all(np.diff(book) > 0), "codebooks must be sorted"
        assert np.isin(labels[:, level], book).all()
        assert codes[:, level].min() >= 0 and codes[:, level].max() < k
        np.testing.assert_array_equal(labels[:, level], book[codes[:, level]])
        # the torch codebook is the sorted one too
        np.testing.assert_array_equal(
            fitted.modules_[level].quantizer.codebook.double().numpy(), book
        )


def test_codebook_usage_matches_codes_on_training_data(fitted, X):
    codes = fitted.encode(X)
    for level, usage in enumerate(fitted.codebook_usage_):
        assert usage.shape == (fitted.levels_[level],)
        np.testing.assert_allclose(usage.sum(), 1.0)
        expected = np.bincount(codes[:, level].ravel(), minlength=len(usage)) / codes[:, 0].size
        np.testing.assert_allclose(usage, expected)


def test_history_and_best_epoch(fitted):
    assert len(fitted.history_) == 3 and len(fitted.best_epoch_) == 3
    assert fitted.n_validation_clips_ == 2  # floor(0.2 * 12)
    for hist, best in zip(fitted.history_, fitted.best_epoch_, strict=True):
        assert [h["epoch"] for h in hist] == [1, 2]
        val = [h["val_loss"] for h in hist]
        assert np.all(np.isfinite(val))
        assert best == 1 + int(np.argmin(val))
        assert set(hist[0]) == {"epoch", "train_loss", "val_loss", "lr", "time_s"}


def test_pseudo_labels_follow_the_label_coarse_to_fine():
    X = pulse_labels(16, length=64, seed=3)
    est = LabelQuantizer(levels=(2, 8, 32), epochs=1, d_state=4, random_state=1).fit(X)
    Z = standardized(X)
    labels = est.pseudo_labels(X)
    r = [np.mean([np.corrcoef(Z[i], labels[i, lv])[0, 1] for i in range(16)]) for lv in range(3)]
    assert r[0] < r[1] < r[2]
    assert r[0] > 0.6 and r[2] > 0.95


@pytest.mark.parametrize("architecture", ["lqrppg", "authors"])
def test_tensor_pseudo_labels_equal_pseudo_labels(X, architecture):
    # the training loop's torch-side path must give the public method's values
    lq = LabelQuantizer(random_state=0, architecture=architecture, **TINY).fit(X)
    Y = pulse_labels(7, seed=5) * 3.0 - 1.0
    got = lq._pseudo_labels_tensor(torch.from_numpy(Y.astype(np.float32)))
    assert got.dtype == torch.float32 and got.shape == (7, 3, T)
    expected = lq.pseudo_labels(Y.astype(np.float32)).astype(np.float32)
    np.testing.assert_array_equal(got.numpy(), expected)


def test_labels_are_standardised_per_clip(fitted, X):
    # an affine change of a clip (gain > 0, offset) gives the same pseudo labels
    X2 = 3.0 * X - 7.0
    np.testing.assert_array_equal(fitted.encode(X2), fitted.encode(X))


def test_transform_is_per_clip(fitted, X):
    full = fitted.encode(X)
    np.testing.assert_array_equal(fitted.encode(X[3:4]), full[3:4])
    np.testing.assert_array_equal(fitted.encode(X[::-1]), full[::-1])


# ------------------------------------------------------------------ reproducibility


def test_same_random_state_gives_identical_results(fitted, X):
    again = LabelQuantizer(random_state=0, **TINY).fit(X)
    for a, b in zip(fitted.codebooks_, again.codebooks_, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fitted.pseudo_labels(X), again.pseudo_labels(X))
    assert fitted.history_[0][0]["train_loss"] == again.history_[0][0]["train_loss"]
    other = LabelQuantizer(random_state=1, **TINY).fit(X)
    assert not all(
        np.array_equal(a, b) for a, b in zip(fitted.codebooks_, other.codebooks_, strict=True)
    )


def test_fit_leaves_global_random_state_alone(X):
    torch_state = torch.random.get_rng_state()
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002 - the legacy global state
    threads = torch.get_num_threads()
    LabelQuantizer(random_state=0, levels=(2,), epochs=1, d_state=4).fit(X)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)  # noqa: NPY002
    assert torch.get_num_threads() == threads


def test_pickle_round_trip(fitted, X):
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.pseudo_labels(X), fitted.pseudo_labels(X))
    np.testing.assert_array_equal(restored.encode(X), fitted.encode(X))
    assert restored.device_ == torch.device("cpu")
    assert all(not m.training for m in restored.modules_)
    for a, b in zip(restored.codebooks_, fitted.codebooks_, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_pickle_from_a_cuda_fit_loads_on_cpu(fitted, X):
    # what a CUDA fit pickles: networks on the CPU (see __getstate__), device_ CUDA
    est = pickle.loads(pickle.dumps(fitted))
    est.device_ = torch.device("cuda:0")
    with pytest.warns(UserWarning, match="fitted on cuda:0, which is not available"):
        restored = pickle.loads(pickle.dumps(est))
    assert restored.device_ == torch.device("cpu")
    np.testing.assert_array_equal(restored.encode(X), fitted.encode(X))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fit_pickles_to_cpu(X):
    est = LabelQuantizer(random_state=0, device="cuda", **TINY).fit(X)
    assert est.device_.type == "cuda"
    state = est.__getstate__()
    assert all(m.quantizer.codebook.device.type == "cpu" for m in state["modules_"])
    assert all(m.quantizer.codebook.device.type == "cuda" for m in est.modules_)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.encode(X), est.encode(X))


def test_input_not_mutated(X):
    X0 = X.copy()
    Xr = X.copy()
    Xr.setflags(write=False)
    est = LabelQuantizer(random_state=0, levels=(2,), epochs=1, d_state=4).fit(Xr)
    est.transform(Xr)
    est.pseudo_labels(X)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Xr, X0)


def test_small_set_has_no_validation_split():
    X = pulse_labels(4)
    est = LabelQuantizer(random_state=0, levels=(2,), epochs=2, d_state=4).fit(X)
    assert est.n_validation_clips_ == 0
    hist = est.history_[0]
    assert all(np.isnan(h["val_loss"]) for h in hist)
    assert est.best_epoch_[0] == 1 + int(np.argmin([h["train_loss"] for h in hist]))


def test_verbose_shows_progress(X, capsys):
    LabelQuantizer(random_state=0, levels=(2,), epochs=1, d_state=4, verbose=2).fit(X)
    assert "level 1/1 (K=2)" in capsys.readouterr().err


def test_frequency_weight_zero_accepts_short_clips():
    X = pulse_labels(6, length=10)
    est = LabelQuantizer(random_state=0, levels=(2,), epochs=1, d_state=4, frequency_weight=0)
    assert est.fit_transform(X).shape == (6, 10)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("shape", [(T,), (2, 3, T)])
def test_wrong_ndim_raises(shape):
    with pytest.raises(ValueError, match=r"2-D array of shape \(n_clips, T\)"):
        LabelQuantizer(**TINY).fit(np.ones(shape))


def test_wrong_ndim_in_transform_raises(fitted, X):
    with pytest.raises(ValueError, match=r"\(n_clips, T\).*Reshape your data"):
        fitted.transform(X[0])


def test_nan_raises(X):
    bad = X.copy()
    bad[1, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LabelQuantizer(**TINY).fit(bad)


def test_too_short_clips_raise():
    with pytest.raises(ValueError, match=r"T=39 time steps.*T >= 40.*frequency_weight=0"):
        LabelQuantizer(**TINY).fit(pulse_labels(6, length=39))
    with pytest.raises(ValueError, match="T >= 2"):
        LabelQuantizer(frequency_weight=0, **TINY).fit(np.ones((3, 1)))


def test_constant_clip_raises(X):
    bad = X.copy()
    bad[4] = 2.5
    with pytest.raises(ValueError, match=r"constant clip\(s\) \(rows \[4\]\)"):
        LabelQuantizer(**TINY).fit(bad)


def test_constant_clip_in_transform_raises(fitted, X):
    bad = X[:3].copy()
    bad[1] = 0.0
    with pytest.raises(ValueError, match="constant"):
        fitted.transform(bad)


def test_transform_with_other_length_raises(fitted, X):
    with pytest.raises(ValueError, match=r"fitted on clips of T=48 .*positional embedding"):
        fitted.transform(pulse_labels(3, length=64))


def test_not_fitted_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LabelQuantizer().transform(pulse_labels(2))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"levels": (1, 4)}, "levels"),
        ({"levels": ()}, "levels"),
        ({"levels": "abc"}, "levels"),
        ({"levels": (2, 4.5)}, "levels"),
        ({"width": 0}, "width"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 1.5}, "batch_size"),
        ({"lr": 0.0}, "lr"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"commitment": -0.1}, "commitment"),
        ({"ema_decay": 1.0}, "ema_decay"),
        ({"ema_eps": 0.0}, "ema_eps"),
        ({"dead_code_threshold": -1.0}, "dead_code_threshold"),
        ({"pearson_weight": 0.0, "frequency_weight": 0.0}, "pearson_weight and frequency"),
        ({"bpm_range": (45,)}, "bpm_range"),
        ({"bpm_range": (150, 45)}, "bpm_range"),
        ({"bpm_range": (45, 1000)}, "Nyquist"),
        ({"fs": -1.0}, "fs"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"patience": 0}, "patience"),
        ({"output_level": 3}, "output_level"),
        ({"output_level": -4}, "output_level"),
        ({"device": "tpu"}, "device"),
        ({"device": 3}, "device"),
        ({"num_threads": 0}, "num_threads"),
        ({"verbose": -1}, "verbose"),
        ({"random_state": "seed"}, "random_state"),
    ],
)
def test_invalid_parameters_raise_in_fit(params, match, X):
    est = LabelQuantizer(**{**TINY, **params})
    assert est.get_params()[next(iter(params))] == params[next(iter(params))]  # stored as is
    with pytest.raises(ValueError, match=match):
        est.fit(X)


def test_invalid_output_level_at_transform(fitted, X):
    est = pickle.loads(pickle.dumps(fitted)).set_params(output_level=7)
    with pytest.raises(ValueError, match="output_level"):
        est.transform(X)


def test_decode_rejects_bad_codes(fitted, X):
    codes = fitted.encode(X)
    with pytest.raises(ValueError, match="n_levels=3"):
        fitted.decode(codes[:, :2])
    bad = codes.copy()
    bad[0, 0, 0] = 2
    with pytest.raises(ValueError, match=r"level 0 must lie in \[0, 1\]"):
        fitted.decode(bad)


# ------------------------------------------------------------------ package access


def test_top_level_lazy_access_without_torch_at_import():
    assert lqrppg.LabelQuantizer is LabelQuantizer
    assert "LabelQuantizer" in lqrppg.__all__
    code = "import sys, lqrppg; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------ shared training utilities


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    for bad in ("tpu", "", 0, None):
        with pytest.raises(ValueError, match="device"):
            resolve_device(bad)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            resolve_device("cuda")


def test_random_seed():
    assert random_seed(0) == random_seed(0) != random_seed(1)
    rs = np.random.RandomState(0)
    assert random_seed(rs) != random_seed(rs)  # advanced by each draw
    g = np.random.default_rng(0)
    assert random_seed(g) == random_seed(np.random.default_rng(0))
    for bad in ("a", 1.5, -1, True):
        with pytest.raises(ValueError, match="random_state"):
            random_seed(bad)


def test_train_validation_split():
    rng = np.random.default_rng(0)
    tr, va = train_validation_split(10, 0.3, rng)
    assert len(va) == 3 and sorted(np.r_[tr, va]) == list(range(10))
    groups = np.repeat([0, 1, 2, 3, 4], 2)
    tr, va = train_validation_split(10, 0.3, rng, groups=groups)
    assert not set(groups[tr]) & set(groups[va]) and len(va) >= 3
    assert train_validation_split(3, 0.2, rng)[1].size == 0
    assert train_validation_split(5, 0.0, rng)[1].size == 0


def _shifted_problem():
    """Training targets 2x, validation targets 1x: validation improves, then worsens."""
    g = torch_generator(0)
    x = torch.randn(64, 1, generator=g)
    xv = torch.randn(32, 1, generator=g)
    with torch_rng(0):
        model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.zero_()
    return model, (x, 2 * x[:, 0]), (xv, xv[:, 0])


def _mse(module, batch):
    xb, yb = batch
    return ((module(xb)[:, 0] - yb) ** 2).mean()


def test_train_module_restores_best_epoch():
    model, train, val = _shifted_problem()
    res = train_module(
        model, _mse, train, val, epochs=12, batch_size=8, lr=0.05, generator=torch_generator(1)
    )
    val_losses = [h["val_loss"] for h in res.history]
    assert res.best_epoch == 1 + int(np.argmin(val_losses)) < 12  # it got worse afterwards
    assert val_losses[-1] > min(val_losses)
    with torch.no_grad():
        now = float(_mse(model, val))
    assert now == pytest.approx(val_losses[res.best_epoch - 1], rel=1e-6)
    assert not model.training
    # OneCycleLR: warm-up then annealing far below the peak
    lrs = [h["lr"] for h in res.history]
    assert max(lrs) == pytest.approx(0.05, rel=0.05) and lrs[-1] < 1e-4


def test_one_cycle_history_ends_at_the_rate_of_the_last_step():
    """One batch per epoch: each epoch records the rate its step used, the last the end."""
    model, train, val = _shifted_problem()
    n = len(train[0])
    res = train_module(
        model, _mse, train, val, epochs=3, batch_size=n, lr=0.01, generator=torch_generator(0)
    )
    lrs = [h["lr"] for h in res.history]
    # The rates torch's OneCycleLR gives the three steps, read before each step.
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, total_steps=3)
    used = []
    for _ in range(3):
        used.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == pytest.approx(used, rel=1e-9)
    assert lrs[-1] == pytest.approx(0.01 / 25 / 1e4, rel=1e-6)  # the schedule's end point


def test_train_module_keeps_last_epoch_when_asked_and_stops_early():
    model, train, val = _shifted_problem()
    res = train_module(
        model,
        _mse,
        train,
        val,
        epochs=12,
        batch_size=8,
        lr=0.05,
        generator=torch_generator(1),
        patience=2,
        restore_best=False,
    )
    assert res.stopped_early and len(res.history) == res.best_epoch + 2
    with torch.no_grad():
        now = float(_mse(model, val))
    assert now == pytest.approx(res.history[-1]["val_loss"], rel=1e-6)


def test_train_module_is_reproducible_with_generator():
    runs = []
    for _ in range(2):
        model, train, _ = _shifted_problem()
        train_module(model, _mse, train, None, epochs=3, batch_size=5, generator=torch_generator(7))
        runs.append(model.weight.detach().clone())
    assert torch.equal(runs[0], runs[1])


def test_train_module_accepts_numpy_and_rejects_bad_input():
    model, (x, y), _ = _shifted_problem()
    res = train_module(
        model,
        _mse,
        (x.numpy(), y.numpy()),
        epochs=1,
        batch_size=16,
        generator=torch_generator(0),
    )
    assert res.monitor == "train_loss" and len(res.history) == 1
    with pytest.raises(ValueError, match="same length"):
        train_module(model, _mse, (x, y[:3]), epochs=1, batch_size=4)
    with pytest.raises(ValueError, match="epochs"):
        train_module(model, _mse, (x, y), epochs=0, batch_size=4)
    with pytest.raises(ValueError, match="schedule"):
        train_module(model, _mse, (x, y), epochs=1, batch_size=4, schedule="cosine")


def test_train_module_reports_divergence():
    model, (x, y), _ = _shifted_problem()

    def nan_loss(module, batch):
        return _mse(module, batch) * float("nan")

    with pytest.raises(FloatingPointError, match="epoch 1, batch 1"):
        train_module(model, nan_loss, (x, y), epochs=1, batch_size=4)
