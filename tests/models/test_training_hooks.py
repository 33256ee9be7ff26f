"""The extensions of the shared training loop the estimators rely on."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lqrppg._training import torch_generator, torch_rng, train_module
from lqrppg.models._base import _host_batch, _LazyClips


def _problem():
    g = torch_generator(0)
    x = torch.randn(40, 3, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5])
    with torch_rng(0):
        model = nn.Linear(3, 1)
    return model, (x[:32], y[:32]), (x[32:], y[32:])


def _mse(module, batch):
    xb, yb = batch
    return ((module(xb).squeeze(1) - yb) ** 2).mean()


def test_epoch_callback_adds_history_entries_in_eval_mode():
    model, train, val = _problem()
    calls = []

    def callback(epoch, module):
        calls.append((epoch, module.training))
        return {"double_epoch": 2 * epoch}

    result = train_module(
        model, _mse, train, val, epochs=3, batch_size=8, generator=torch_generator(1),
        epoch_callback=callback,
    )  # fmt: skip
    assert calls == [(1, False), (2, False), (3, False)]
    assert [h["double_epoch"] for h in result.history] == [2.0, 4.0, 6.0]
    assert {"epoch", "train_loss", "val_loss", "lr", "time_s"} <= set(result.history[0])


def test_epoch_callback_may_return_nothing_but_not_replace_entries():
    model, train, val = _problem()
    result = train_module(
        model, _mse, train, val, epochs=1, batch_size=8, epoch_callback=lambda e, m: None
    )
    assert set(result.history[0]) == {"epoch", "train_loss", "val_loss", "lr", "time_s"}
    with pytest.raises(ValueError, match="may not replace"):
        train_module(
            model, _mse, train, val, epochs=1, batch_size=8,
            epoch_callback=lambda e, m: {"val_loss": 0.0},
        )  # fmt: skip
    with pytest.raises(ValueError, match="mapping"):
        train_module(model, _mse, train, epochs=1, batch_size=8, epoch_callback=lambda e, m: 3)


def test_lazy_row_subsets_train_like_arrays():
    _, (x, y), _ = _problem()
    x64 = x.numpy().astype(np.float64)
    idx = np.arange(5, 30)
    lazy = _LazyClips(x64, idx)
    assert lazy.shape == (25, 3) and len(lazy) == 25
    batch = lazy[np.array([2, 0])]
    assert batch.dtype == np.float32 and batch.flags.writeable
    np.testing.assert_array_equal(batch, x64[[7, 5]].astype(np.float32))

    def run(data):
        with torch_rng(0):
            net = nn.Linear(3, 1)
        result = train_module(net, _mse, data, epochs=2, batch_size=4, generator=torch_generator(0))
        return net.weight.detach().clone(), result

    w_lazy, _ = run((lazy, y[idx].numpy()))
    w_array, _ = run((x64[idx].astype(np.float32), y[idx].numpy()))
    assert torch.equal(w_lazy, w_array)


def test_host_batch_copies_views_and_read_only_memory():
    X = np.arange(24, dtype=np.uint8).reshape(4, 6)
    X.setflags(write=False)
    part = _host_batch(X, slice(1, 3))
    assert part.flags.writeable and not np.shares_memory(part, X)
    np.testing.assert_array_equal(part, X[1:3])


@pytest.mark.parametrize("quantized", [True, False])
def test_tensor_targets_of_resampled_labels_equal_the_numpy_targets(data, quantized):
    # the training loop recomputes the targets of resampled labels on the torch side; they
    # must be what the estimator's documented targets are (standardised labels or pseudo
    # labels of the frozen quantizers)
    from lqrppg.models import LQRPPGRegressor, stretch_time

    from .conftest import LQ_TINY

    est = LQRPPGRegressor(use_label_quantization=quantized, random_state=0, **LQ_TINY)
    est.fit(data.videos, data.ppg)
    label = torch.from_numpy(data.ppg.astype(np.float32))
    label = stretch_time(label, 3)  # a resampled label, no longer standardised
    got = est._targets_tensor(label)
    expected = est._targets(label.double().numpy())
    assert got.dtype == torch.float32 and got.shape == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-6)
    if quantized:  # pseudo labels are codewords: exactly equal
        np.testing.assert_array_equal(got.numpy(), expected)
