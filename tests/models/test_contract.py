"""The estimator contract shared by LQRPPGRegressor (with and without quantization) and
PhysNetRegressor: shapes, determinism, parameters, errors, pickling, save / load, search."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from lqrppg._training import train_module
from lqrppg.exceptions import EstimationWarning
from lqrppg.metrics import hr_error_from_waveforms, neg_hr_mae
from lqrppg.models import BaseVideoRegressor, LQRPPGRegressor, PhysNetRegressor
from lqrppg.signal import estimate_hr

FS = 30.0
KINDS = {
    "lq": ("lq", {}),
    "ablation": ("lq", {"use_label_quantization": False}),
    "physnet": ("physnet", {}),
}


@pytest.fixture(scope="module", params=list(KINDS))
def kind(request):
    return request.param


def make(tiny, kind, **overrides):
    family, extra = KINDS[kind]
    return tiny(family, **{**extra, **overrides})


@pytest.fixture(scope="module")
def fitted(tiny, kind, data):
    return make(tiny, kind).fit(data.videos, data.ppg, groups=data.subjects)


# ------------------------------------------------------------------ outputs


def test_fit_predict_shapes_and_attributes(fitted, data):
    n, T = data.ppg.shape
    wave = fitted.predict(data.videos)
    assert wave.shape == (n, T) and wave.dtype == np.float64
    np.testing.assert_allclose(wave.mean(axis=1), 0, atol=1e-9)
    np.testing.assert_allclose(wave.std(axis=1), 1, atol=1e-9)
    assert fitted.n_frames_ == T and fitted.frame_shape_ == data.videos.shape[2:4]
    assert fitted.device_ == torch.device("cpu") and not fitted.module_.training
    # groups: whole subjects (2 videos each) go to validation
    assert fitted.n_validation_clips_ == 2
    (entry,) = fitted.history_
    assert {"epoch", "train_loss", "val_loss", "val_hr_mae", "lr", "time_s"} <= set(entry)
    assert fitted.best_epoch_ == 1 and fitted.stopped_early_ is False


def test_predict_batches_bounded_by_input_bytes_and_one_thread_by_default(
    fitted, data, monkeypatch
):
    """predict passes at most batch_size clips, fewer where their float32 input would exceed
    the byte bound; the output is the same to float32 rounding. num_threads=None predicts
    on one torch thread and restores torch's setting."""
    from lqrppg.models import _base

    model = copy.deepcopy(fitted)
    whole = model.predict(data.videos)
    T, H, W = data.videos.shape[1:4]
    sizes, threads = [], []
    real = model._output

    def spy(module, x):
        sizes.append(x.shape[0])
        threads.append(torch.get_num_threads())
        return real(module, x)

    monkeypatch.setattr(model, "_output", spy)
    monkeypatch.setattr(_base, "_PREDICT_INPUT_BYTES", 3 * T * H * W * 3 * 4)
    monkeypatch.setattr(_base, "_PREDICT_FRAMES", 10**6)
    model.set_params(batch_size=4, num_threads=None)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        pieces = model.predict(data.videos)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert sizes == [3, 3, 2] and set(threads) == {1}
    np.testing.assert_allclose(pieces, whole, atol=1e-4)
    sizes.clear()
    monkeypatch.setattr(_base, "_PREDICT_FRAMES", 2 * T + 1)  # the bound on frames
    model.predict(data.videos[:5])
    assert sizes == [2, 2, 1]
    sizes.clear()
    monkeypatch.setattr(_base, "_PREDICT_INPUT_BYTES", 1)  # never fewer than one clip
    model.predict(data.videos[:2])
    assert sizes == [1, 1]


def test_predict_hr_and_score_agree_with_the_hr_routine(fitted, data):
    wave = fitted.predict(data.videos)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        hr = fitted.predict_hr(data.videos)
        np.testing.assert_array_equal(hr, estimate_hr(wave, FS, band=fitted.band))
        expected = -hr_error_from_waveforms(data.ppg, wave, fs=FS, band=fitted.band)
        score = fitted.score(data.videos, data.ppg)
        scorer_value = neg_hr_mae(FS, band=fitted.band)(fitted, data.videos, data.ppg)
    assert hr.shape == (len(data.ppg),)
    np.testing.assert_equal(score, expected)
    np.testing.assert_equal(scorer_value, expected)
    with pytest.raises(ValueError, match="sample_weight"):
        fitted.score(data.videos, data.ppg, sample_weight=np.ones(len(data.ppg)))


def test_same_random_state_gives_identical_predictions(tiny, kind, fitted, data):
    again = make(tiny, kind).fit(data.videos, data.ppg, groups=data.subjects)
    np.testing.assert_array_equal(again.predict(data.videos), fitted.predict(data.videos))
    other = make(tiny, kind, random_state=1).fit(data.videos, data.ppg, groups=data.subjects)
    assert not np.array_equal(other.predict(data.videos), fitted.predict(data.videos))


def test_fit_leaves_global_state_and_inputs_alone(tiny, kind, data):
    X = data.videos.copy()
    X.setflags(write=False)
    y = data.ppg.copy()
    y.setflags(write=False)
    torch_state = torch.random.get_rng_state()
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002
    threads = torch.get_num_threads()
    est = make(tiny, kind, num_threads=1).fit(X, y)
    est.predict(X)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)  # noqa: NPY002
    assert torch.get_num_threads() == threads
    np.testing.assert_array_equal(X, data.videos)
    np.testing.assert_array_equal(y, data.ppg)


@pytest.mark.parametrize("kind", ["lq", "physnet"], indirect=True)
def test_float_and_memory_mapped_input(tiny, kind, fitted, data, tmp_path):
    path = tmp_path / "clips.npy"
    np.save(path, data.videos)
    X = np.load(path, mmap_mode="r")
    est = make(tiny, kind).fit(X, data.ppg, groups=data.subjects)
    np.testing.assert_array_equal(est.predict(X), fitted.predict(data.videos))
    # float input on another scale gives the same standardised frames
    X = data.videos.astype(np.float64) * 3.0
    np.testing.assert_allclose(fitted.predict(X), fitted.predict(data.videos), atol=1e-4)
    # float64 clips train too (sent to the device as float32, batch by batch)
    est = make(tiny, kind).fit(X, data.ppg, groups=data.subjects)
    assert np.isfinite(est.predict(X)).all()


def test_fitted_only_once_the_network_is_trained(tiny, data):
    est = tiny("lq")
    est.label_quantizer_ = None  # what stage 1 leaves behind if stage 2 fails
    with pytest.raises(NotFittedError):
        est.predict(data.videos)


# ------------------------------------------------------------------ parameters


def test_clone_get_set_params(tiny, kind, fitted):
    params = fitted.get_params()
    twin = clone(fitted)
    assert not hasattr(twin, "module_")
    assert twin.get_params().keys() == params.keys()
    for key, value in twin.get_params(deep=False).items():
        if not hasattr(value, "get_params"):
            assert value == params[key], key
    twin.set_params(epochs=3, lr=1e-3)
    assert twin.epochs == 3 and twin.lr == 1e-3 and fitted.epochs == 1
    with pytest.raises(ValueError, match="Invalid parameter"):
        twin.set_params(not_a_parameter=1)


@pytest.mark.parametrize("cls", [LQRPPGRegressor, PhysNetRegressor])
def test_init_is_keyword_only_and_stores_parameters(cls):
    with pytest.raises(TypeError):
        cls(160)
    rng = np.random.default_rng(0)
    est = cls(device="cpu", random_state=rng, band=[1.0, 2.0], epochs=-3)
    assert est.device == "cpu" and est.random_state is rng and est.band == [1.0, 2.0]
    assert est.epochs == -3  # validated in fit, not in __init__


def test_defaults_follow_the_method():
    est = LQRPPGRegressor()
    expected = {
        "chunk_length": 160,
        "fs": 30.0,
        "dim": 64,
        "n_blocks": 4,
        "d_state": 48,
        "levels": (2, 4, 8, 16, 32),
        "use_label_quantization": True,
        "epochs": 50,
        "batch_size": 16,
        "lr": 3e-4,
        "weight_decay": 1e-5,
        "augment": True,
        "validation_fraction": 0.2,
        "early_stopping": True,
        "device": "auto",
        "warm_start": False,
    }
    params = est.get_params()
    assert {k: params[k] for k in expected} == expected


def test_not_fitted_raises(tiny, kind, data, tmp_path):
    est = make(tiny, kind)
    for call in (
        lambda: est.predict(data.videos),
        lambda: est.predict_hr(data.videos),
        lambda: est.score(data.videos, data.ppg),
        lambda: est.save(tmp_path / "m.pt"),
    ):
        with pytest.raises(NotFittedError):
            call()


# ------------------------------------------------------------------ errors


def _with_nan(a):
    a = a.astype(np.float64)
    a[1, 2, ...] = np.nan
    return a


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda X, y: (X[0], y), "5 axes"),
        (lambda X, y: (X[..., :2], y), "3 colour channels"),
        (lambda X, y: (X.astype(str), y), "integer or float"),
        (lambda X, y: (_with_nan(X), y), "NaN or infinite values .*clip 1, frame 2"),
        (lambda X, y: (X, y[:, :-1]), "y has T=39 .* T=40"),
        (lambda X, y: (X, y[:-1]), "X has 8 clips but y has 7"),
        (lambda X, y: (X, y[:, 0]), r"shape \(n_clips, T\)"),
        (lambda X, y: (X, _with_nan(y[:, :, None])[:, :, 0]), "y contains NaN"),
        (lambda X, y: (X, np.where(np.arange(8)[:, None] == 3, 1.0, y)), "constant label"),
        (lambda X, y: (X, None), "y is required"),
    ],
)
def test_invalid_data_raises(tiny, kind, data, mutate, match):
    X, y = mutate(data.videos, data.ppg)
    with pytest.raises(ValueError, match=match):
        make(tiny, kind).fit(X, y)


def test_clip_length_must_match_chunk_length(tiny, kind, data):
    with pytest.raises(ValueError, match=r"T=40 frames .*chunk_length=44"):
        make(tiny, kind, chunk_length=44).fit(data.videos, data.ppg)


def test_frame_size_errors(tiny, kind, fitted, data):
    X = np.ascontiguousarray(np.pad(data.videos, ((0, 0), (0, 0), (0, 4), (0, 4), (0, 0))))
    if kind == "physnet":  # PhysNet takes 20 x 20 frames, but not other sizes than fitted
        with pytest.raises(ValueError, match="16 x 16"):
            fitted.predict(X)
        with pytest.raises(ValueError, match="H, W >= 16"):
            make(tiny, kind).fit(data.videos[:, :, :8, :8], data.ppg)
    else:
        with pytest.raises(ValueError, match="multiples of 8"):
            make(tiny, kind).fit(X, data.ppg)


def test_predict_on_other_clip_lengths(tiny, kind, fitted, data):
    X = data.videos[:, :36]
    if kind == "physnet":  # no positional embedding: any T that is a multiple of 4
        assert fitted.predict(X).shape == (8, 36)
        with pytest.raises(ValueError, match="multiple of 4"):
            fitted.predict(data.videos[:, :38])
    else:
        with pytest.raises(ValueError, match=r"T=36 frames .*fitted on clips of T=40"):
            fitted.predict(X)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"epochs": 0}, "epochs must be an int >= 1"),
        ({"lr": -1.0}, "lr must be a finite number > 0"),
        ({"batch_size": 1.5}, "batch_size"),
        ({"preprocessing": "diff"}, "preprocessing must be one of"),
        ({"augment": "yes"}, "augment must be True or False"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"patience": 0}, "patience"),
        ({"device": "tpu"}, "device"),
        ({"random_state": "x"}, "random_state"),
        ({"band": (2.0, 1.0)}, "band"),
        ({"fs": 0}, "fs must be"),
        ({"num_threads": 0}, "num_threads"),
    ],
)
def test_invalid_parameters_raise_in_fit(tiny, kind, data, params, match):
    est = make(tiny, kind, **params)  # __init__ accepts anything
    with pytest.raises(ValueError, match=match):
        est.fit(data.videos, data.ppg)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"preprocessing": "diff"}, r"^preprocessing must be one of \('standardize', 'none'\)"),
        ({"batch_size": 0}, r"^batch_size must be an int >= 1; got 0$"),
        ({"num_threads": 0}, r"^num_threads must be None or an int >= 1; got 0$"),
        ({"band": (2.0, 1.0)}, r"^band must satisfy"),
    ],
)
def test_predict_checks_the_parameters_it_reads_as_fit_does(fitted, data, params, match):
    est = copy.deepcopy(fitted).set_params(**params)
    with pytest.raises(ValueError, match=match):
        est.predict(data.videos[:2])
    with pytest.raises(ValueError, match=match):
        est.fit(data.videos, data.ppg)


# ------------------------------------------------------------------ persistence


def test_pickle_round_trip(fitted, data):
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(data.videos), fitted.predict(data.videos))
    np.testing.assert_equal(restored.history_, fitted.history_)  # NaN-aware


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_pickle_from_a_cuda_fit_loads_on_cpu(fitted, data):
    # what a CUDA fit pickles: the network on the CPU (see __getstate__), device_ CUDA
    est = copy.deepcopy(fitted)
    est.device_ = torch.device("cuda:0")
    with pytest.warns(UserWarning, match="fitted on cuda:0, which is not available"):
        restored = pickle.loads(pickle.dumps(est))
    assert restored.device_ == torch.device("cpu")
    np.testing.assert_array_equal(restored.predict(data.videos), fitted.predict(data.videos))


def test_save_load_round_trip(fitted, data, tmp_path):
    path = tmp_path / "model.pt"
    fitted.save(path)
    # a weights-only file: plain torch.load with weights_only=True reads it
    assert torch.load(path, weights_only=True)["class"] == type(fitted).__name__
    loaded = type(fitted).load(path)
    assert type(loaded) is type(fitted)
    np.testing.assert_array_equal(loaded.predict(data.videos), fitted.predict(data.videos))
    for key, value in fitted.get_params(deep=False).items():
        if hasattr(value, "get_params"):
            assert loaded.get_params()[key].get_params() == value.get_params()
        else:
            assert loaded.get_params()[key] == value, key
    np.testing.assert_equal(loaded.history_, fitted.history_)
    assert (loaded.n_frames_, loaded.frame_shape_) == (fitted.n_frames_, fitted.frame_shape_)
    # through the base class too
    assert type(BaseVideoRegressor.load(path)) is type(fitted)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_save_of_a_cuda_fit_loads_on_cpu(fitted, data, tmp_path):
    est = copy.deepcopy(fitted)
    est.device_ = torch.device("cuda:0")  # tensors are saved from the CPU either way
    est.save(tmp_path / "m.pt")
    with pytest.warns(UserWarning, match="fitted on cuda:0, which is not available"):
        loaded = type(fitted).load(tmp_path / "m.pt")
    assert loaded.device_ == torch.device("cpu")
    np.testing.assert_array_equal(loaded.predict(data.videos), fitted.predict(data.videos))
    explicit = type(fitted).load(tmp_path / "m.pt", device="cpu")
    assert explicit.device_ == torch.device("cpu")


def test_load_rejects_other_files(fitted, tmp_path):
    torch.save({"a": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a file written by"):
        type(fitted).load(tmp_path / "other.pt")
    fitted.save(tmp_path / "m.pt")
    other = PhysNetRegressor if isinstance(fitted, LQRPPGRegressor) else LQRPPGRegressor
    with pytest.raises(ValueError, match=f"holds a {type(fitted).__name__}"):
        other.load(tmp_path / "m.pt")


# ------------------------------------------------------------------ training


def test_training_loss_falls_on_an_easy_pair(tiny, kind, easy):
    est = make(
        tiny,
        kind,
        epochs=6,
        batch_size=1,
        lr=3e-3,
        augment=False,
        validation_fraction=0.0,
        early_stopping=False,
    ).fit(easy.videos, easy.ppg)
    losses = [h["train_loss"] for h in est.history_]
    assert len(losses) == 6 and est.n_validation_clips_ == 0
    assert losses[-1] < losses[0] - 0.01, losses
    assert "val_hr_mae" not in est.history_[0]  # no validation clips, no validation HR


@pytest.mark.parametrize("kind", ["lq", "physnet"], indirect=True)
def test_warm_start_continues_training(tiny, kind, fitted, data):
    est = copy.deepcopy(fitted).set_params(warm_start=True, epochs=1)
    module = est.module_
    quantizer = getattr(est, "label_quantizer_", None)
    est.fit(data.videos, data.ppg, groups=data.subjects)
    assert est.module_ is module
    assert getattr(est, "label_quantizer_", None) is quantizer
    assert not np.array_equal(est.predict(data.videos), fitted.predict(data.videos))


@pytest.mark.parametrize("early_stopping", [True, False])
def test_early_stopping_passes_patience_to_the_loop(tiny, kind, data, monkeypatch, early_stopping):
    import lqrppg.models._base as base

    seen = {}

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return train_module(*args, **kwargs)

    monkeypatch.setattr(base, "train_module", spy)
    make(tiny, kind, patience=3, early_stopping=early_stopping).fit(data.videos, data.ppg)
    assert seen["patience"] == (3 if early_stopping else None)


def test_verbose_shows_progress_with_the_validation_hr_error(tiny, data, capsys):
    tiny("physnet", verbose=1).fit(data.videos, data.ppg, groups=data.subjects)
    assert "val_hr_mae" in capsys.readouterr().err


# ------------------------------------------------------------------ composition


@pytest.mark.parametrize("kind", ["lq", "physnet"], indirect=True)
def test_pipeline_grid_search_with_group_k_fold(tiny, kind, data):
    pipe = Pipeline([("identity", FunctionTransformer()), ("model", make(tiny, kind))])
    search = GridSearchCV(
        pipe,
        {"model__lr": [1e-3, 3e-3]},
        scoring=neg_hr_mae(FS),
        cv=GroupKFold(n_splits=2),
        error_score="raise",
    )
    with warnings.catch_warnings():
        # a one-epoch network may give a clip no HR in the band: the scorer then says NaN
        warnings.simplefilter("ignore", EstimationWarning)
        warnings.filterwarnings("ignore", "One or more of the test scores are non-finite")
        search.fit(data.videos, data.ppg, groups=data.subjects)
    scores = np.concatenate([search.cv_results_[f"split{i}_test_score"] for i in (0, 1)])
    assert scores.shape == (4,) and np.all(np.isnan(scores) | (scores <= 0))
    assert search.best_estimator_.predict(data.videos).shape == data.ppg.shape
    assert search.best_params_["model__lr"] in (1e-3, 3e-3)
