"""What is particular to LQRPPGRegressor: quantizers, heads, soft reconstruction, targets."""

from __future__ import annotations

import copy
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.utils.validation import check_is_fitted

import lqrppg
from lqrppg.exceptions import EstimationWarning
from lqrppg.metrics import neg_hr_mae
from lqrppg.models import LQRPPGRegressor, augment_batch, clips_to_tensor
from lqrppg.nn import C2FNet
from lqrppg.quantization import LabelQuantizer
from lqrppg.signal import standardize

FS = 30.0
QUANTIZER = {"levels": (2, 4, 8), "epochs": 1, "d_state": 4, "batch_size": 4}


@pytest.fixture(scope="module")
def fitted(tiny, data):
    return tiny("lq").fit(data.videos, data.ppg, groups=data.subjects)


@pytest.fixture(scope="module")
def five_levels(tiny, data):
    """The default five levels (four blocks + predictor), still tiny."""
    return tiny("lq", n_blocks=4, levels=(2, 4, 8, 16, 32)).fit(data.videos, data.ppg)


def test_stage_one_fits_quantizers_on_the_training_labels(fitted, data):
    lq = fitted.label_quantizer_
    check_is_fitted(lq)
    assert lq.levels_ == (2, 4, 8) and lq.n_features_in_ == 40
    assert lq.epochs == 1 and lq.fs == FS  # quantizer_epochs and fs passed on
    # fitted on the 6 training clips only (one subject of 2 clips is held out)
    assert fitted.n_validation_clips_ == 2
    net = fitted.module_
    assert isinstance(net, C2FNet) and net.quantized
    for book, buf, own in zip(fitted.codebooks_, net.codebooks, lq.codebooks_, strict=True):
        np.testing.assert_allclose(buf.numpy(), book, rtol=1e-6)
        np.testing.assert_array_equal(book, own)


def test_targets_are_the_pseudo_labels(fitted, data):
    targets = fitted._targets(data.ppg)
    assert targets.shape == (8, 3, 40) and targets.dtype == np.float32
    np.testing.assert_array_equal(
        targets, fitted.label_quantizer_.pseudo_labels(data.ppg).astype(np.float32)
    )


def test_gradients_reach_every_head(five_levels, data):
    net = five_levels.module_
    x = clips_to_tensor(torch.from_numpy(data.videos[:4]))
    targets = torch.from_numpy(five_levels._targets(data.ppg[:4]))
    net.train()
    net.zero_grad()
    try:
        loss, wave = five_levels._loss(net, x, targets)
        loss.backward()
    finally:
        net.eval()
    assert wave.shape == (4, 40) and torch.isfinite(loss)
    grads = [h.weight.grad for h in net.heads] + [net.predictor[-1].weight.grad]
    assert len(grads) == 5
    for i, g in enumerate(grads):
        assert g is not None and float(g.abs().sum()) > 0, f"head {i + 1} gets no gradient"


def test_soft_reconstructions_lie_in_each_codebook_range(five_levels, data):
    net = five_levels.module_
    with torch.no_grad():
        out = net(clips_to_tensor(torch.from_numpy(data.videos)))
    for head, book in zip(out.heads, five_levels.codebooks_, strict=True):
        assert head.min() >= book.min() - 1e-5 and head.max() <= book.max() + 1e-5
    # the waveform is the final head, reconstructed through the 32-code codebook
    wave = out.output.double().numpy()
    np.testing.assert_allclose(five_levels.predict(data.videos), standardize(wave), atol=1e-5)


def test_ablation_trains_plain_heads_on_standardized_labels(tiny, data):
    est = tiny("lq", use_label_quantization=False, label_quantizer=LabelQuantizer(**QUANTIZER))
    est.fit(data.videos, data.ppg)
    assert est.label_quantizer_ is None and est.codebooks_ is None
    assert not est.module_.quantized
    targets = est._targets(data.ppg)
    assert targets.shape == (8, 1, 40)
    np.testing.assert_allclose(targets[:, 0], standardize(data.ppg), atol=1e-6)
    with torch.no_grad():
        out = est.module_(clips_to_tensor(torch.from_numpy(data.videos)))
    for head, raw in zip(out.heads, out.raw_heads, strict=True):
        assert torch.equal(head, raw)


def test_a_fitted_quantizer_is_reused_not_refit(tiny, data):
    lq = LabelQuantizer(random_state=5, **QUANTIZER).fit(data.ppg)
    books = [c.copy() for c in lq.codebooks_]
    modules = list(lq.modules_)
    est = tiny("lq", label_quantizer=lq).fit(data.videos, data.ppg)
    assert est.label_quantizer_ is lq and est.label_quantizer is lq
    assert lq.modules_ == modules
    for a, b, c in zip(books, lq.codebooks_, est.codebooks_, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    # clone turns a fitted parameter into an unfitted one; FrozenEstimator keeps it
    frozen = clone(tiny("lq", label_quantizer=FrozenEstimator(lq)))
    frozen.fit(data.videos, data.ppg)
    assert frozen.label_quantizer_ is lq


def test_an_unfitted_quantizer_is_cloned_and_fitted(tiny, data):
    template = LabelQuantizer(**QUANTIZER)
    est = tiny("lq", label_quantizer=template).fit(data.videos, data.ppg)
    with pytest.raises(NotFittedError):
        check_is_fitted(template)  # the parameter is left alone
    lq = est.label_quantizer_
    assert lq is not template and lq.d_state == 4 and lq.epochs == 1
    assert lq.random_state is not None  # drawn from the estimator's random_state
    again = tiny("lq", label_quantizer=template).fit(data.videos, data.ppg)
    for a, b in zip(again.codebooks_, est.codebooks_, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"levels": (2, 4)}, r"levels must hold n_blocks \+ 1 = 3"),
        ({"levels": (2, 4, 1)}, "levels must be a sequence of ints >= 2"),
        ({"dim": 12}, "dim must be a multiple of 8"),
        ({"n_blocks": 0}, "n_blocks"),
        ({"pearson_weight": 0, "frequency_weight": 0}, "cannot both be 0"),
        ({"bpm_range": (45, 900)}, "Nyquist"),
        ({"use_label_quantization": 1}, "use_label_quantization must be True or False"),
        ({"label_quantizer": "lq"}, "label_quantizer must be None, a LabelQuantizer"),
        ({"label_quantizer": LabelQuantizer(levels=(2, 4))}, "levels .* must agree"),
        ({"label_quantizer": LabelQuantizer(levels=(2, 4, 8), fs=25.0)}, "fs=25.0"),
        ({"bpm_range": (40, 149)}, r"T=40 frames, too short: .* T >= 45"),
    ],
)
def test_invalid_model_parameters_raise(tiny, data, params, match):
    with pytest.raises(ValueError, match=match):
        tiny("lq", **params).fit(data.videos, data.ppg)


def test_a_fitted_quantizer_of_another_length_is_refused(tiny, data):
    lq = LabelQuantizer(random_state=0, **QUANTIZER).fit(np.tile(data.ppg, 2))
    with pytest.raises(ValueError, match="T=80 time steps, but the clips have T=40"):
        tiny("lq", label_quantizer=lq).fit(data.videos, data.ppg)


def test_short_clips_train_without_the_frequency_loss(tiny, data):
    est = tiny("lq", chunk_length=16, frequency_weight=0.0, label_quantizer=None)
    est.set_params(label_quantizer=LabelQuantizer(frequency_weight=0.0, **QUANTIZER))
    est.fit(data.videos[:, :16], data.ppg[:, :16])
    assert est.predict(data.videos[:, :16]).shape == (8, 16)


def test_augmented_labels_get_fresh_pseudo_labels(fitted, data, monkeypatch):
    clips = torch.from_numpy(data.videos[:4])
    labels = torch.from_numpy(standardize(data.ppg[:4]).astype(np.float32))
    targets = torch.from_numpy(fitted._targets(data.ppg[:4]))
    hr = torch.tensor([120.0, 60.0, 120.0, 60.0])
    seen = {}

    def spy(module, x, targets):
        seen["x"], seen["targets"] = x, targets
        return x.sum() * 0, x[:, 0, :, 0, 0]

    monkeypatch.setattr(fitted, "_loss", spy)
    fitted._train_loss_fn(augment_seed=11)(fitted.module_, (clips, labels, targets, hr))
    x_ref, label_ref, changed = augment_batch(
        clips_to_tensor(clips), labels, hr.numpy(), np.random.default_rng(11)
    )
    assert changed.any() and not changed.all()  # the seed exercises both cases
    expected = targets.clone()
    expected[changed] = torch.from_numpy(
        fitted.label_quantizer_.pseudo_labels(label_ref[changed].double().numpy())
    ).float()
    assert torch.equal(seen["x"], x_ref)
    assert torch.equal(seen["targets"], expected)


def test_saved_quantizer_comes_back(fitted, data, tmp_path):
    fitted.save(tmp_path / "m.pt")
    loaded = LQRPPGRegressor.load(tmp_path / "m.pt")
    a, b = loaded.label_quantizer_, fitted.label_quantizer_
    np.testing.assert_array_equal(a.pseudo_labels(data.ppg), b.pseudo_labels(data.ppg))
    np.testing.assert_equal(a.history_, b.history_)
    assert a.get_params() == b.get_params()
    for x, y in zip(a.codebook_usage_, b.codebook_usage_, strict=True):
        np.testing.assert_array_equal(x, y)


def test_top_level_lazy_access_without_torch_at_import():
    assert lqrppg.LQRPPGRegressor is LQRPPGRegressor
    assert lqrppg.PhysNetRegressor is lqrppg.models.PhysNetRegressor
    assert {"models", "LQRPPGRegressor", "PhysNetRegressor"} <= set(lqrppg.__all__)
    code = "import sys, lqrppg; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_grid_search_on_a_dask_cluster(tiny, data):
    distributed = pytest.importorskip("distributed")
    joblib = pytest.importorskip("joblib")
    search = GridSearchCV(
        tiny("lq"),
        {"lr": [1e-3, 3e-3]},
        scoring=neg_hr_mae(FS),
        cv=GroupKFold(n_splits=2),
        n_jobs=2,
        error_score="raise",
    )
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_backend("dask"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", EstimationWarning)
        warnings.filterwarnings("ignore", "One or more of the test scores are non-finite")
        search.fit(data.videos, data.ppg, groups=data.subjects)
    assert len(search.cv_results_["params"]) == 2
    assert search.best_estimator_.predict(data.videos).shape == data.ppg.shape


def test_a_generator_random_state_is_saved_as_none(fitted, data, tmp_path):
    est = copy.deepcopy(fitted).set_params(random_state=np.random.default_rng(0))
    with pytest.warns(UserWarning, match="random_state is a Generator, which cannot be saved"):
        est.save(tmp_path / "m.pt")
    loaded = LQRPPGRegressor.load(tmp_path / "m.pt")
    assert loaded.random_state is None
    np.testing.assert_array_equal(loaded.predict(data.videos), fitted.predict(data.videos))
