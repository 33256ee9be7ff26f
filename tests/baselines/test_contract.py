"""scikit-learn contract of the baselines (3-D/5-D input, so not parametrize_with_checks)."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import get_tags

from lqrppg.baselines import CHROM, GREEN, ICA, LGI, OMIT, PBV, POS, Auto
from lqrppg.signal import HR_BAND

ALL = (GREEN, CHROM, POS, LGI, PBV, ICA, OMIT, Auto)
IDS = [c.__name__ for c in ALL]


@pytest.fixture(scope="module")
def X(make_trace):
    return np.stack([make_trace(f, seconds=10.0, seed=i)[0] for i, f in enumerate((1.0, 1.6))])


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_init_is_keyword_only_and_stores_params(cls):
    sig = inspect.signature(cls.__init__)
    params = [p for name, p in sig.parameters.items() if name != "self"]
    assert all(p.kind is p.KEYWORD_ONLY for p in params)
    est = cls()
    assert est.get_params() == {p.name: p.default for p in params}
    assert est.fs == 30.0 and est.band == HR_BAND and est.chain == "robust"
    odd = {p.name: object() for p in params}  # stored unchanged, validated later
    assert cls(**odd).get_params() == odd


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_clone_and_set_params(cls, X):
    est = cls(fs=30.0, band=(0.7, 3.0))
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params()
    np.testing.assert_array_equal(twin.predict(X), est.predict(X))
    assert est.set_params(band=(0.8, 2.0)) is est
    assert est.band == (0.8, 2.0) and twin.band == (0.7, 3.0)
    with pytest.raises(ValueError, match="Invalid parameter"):
        est.set_params(nope=1)


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_pickle_round_trip_gives_identical_output(cls, X):
    est = cls().fit(X)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(X), est.predict(X))
    np.testing.assert_array_equal(again.predict_hr(X), est.predict_hr(X))


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_stateless_fit_and_tags(cls, X):
    est = cls()
    before = dict(vars(est))
    assert est.fit(X) is est and est.fit(X, y=np.zeros(2)) is est
    assert vars(est) == before  # nothing learned, nothing stored
    tags = get_tags(est)
    assert tags.requires_fit is False
    assert tags.input_tags.three_d_array and not tags.input_tags.two_d_array
    # Unfitted use is allowed and gives the fitted result.
    np.testing.assert_array_equal(cls().predict(X), est.predict(X))


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_deterministic_and_input_not_mutated(cls, X):
    data = X.copy()
    data.setflags(write=False)  # a read-only input must work too
    est = cls()
    first = est.predict(data)
    np.testing.assert_array_equal(est.predict(data), first)
    np.testing.assert_array_equal(data, X)
    video = np.repeat(np.repeat(X[:, :, None, None, :], 2, axis=2), 3, axis=3)
    video_copy = video.copy()
    est.fit(video)
    est.predict_hr(video)
    np.testing.assert_array_equal(video, video_copy)
    assert first.shape == X.shape[:2]
    assert not np.shares_memory(first, X)


def test_fastica_is_deterministic_with_random_state(X):
    a = ICA(algorithm="fastica", random_state=0).predict(X)
    b = ICA(algorithm="fastica", random_state=0).predict(X)
    np.testing.assert_array_equal(a, b)
    assert get_tags(ICA(algorithm="fastica")).non_deterministic
    assert not get_tags(ICA()).non_deterministic


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_in_pipeline_as_last_step(cls, X):
    as_float32 = FunctionTransformer(lambda a: np.asarray(a, dtype=np.float32))
    pipe = Pipeline([("cast", as_float32), ("rppg", cls())])
    out = pipe.fit(X).predict(X)
    np.testing.assert_allclose(out, cls().predict(X.astype(np.float32)))


def test_grid_search_over_window_scored_by_hr(X):
    y = np.array([60.0, 96.0])

    def neg_mae(est, data, target):
        return -float(np.mean(np.abs(est.predict_hr(data) - target)))

    X4, y4 = np.concatenate([X, X]), np.concatenate([y, y])
    search = GridSearchCV(POS(), {"window": [1.0, 1.6]}, scoring=neg_mae, cv=2).fit(X4, y4)
    assert search.best_params_["window"] in (1.0, 1.6)
    assert search.best_score_ > -1.0  # both windows find 60 and 96 bpm


def test_accepts_lists_and_integer_video():
    rng = np.random.default_rng(0)
    video = rng.integers(0, 256, size=(1, 60, 2, 2, 3), dtype=np.uint8)
    traces = video.astype(np.float64).mean(axis=(2, 3))
    np.testing.assert_allclose(GREEN().predict(traces.tolist()), traces[:, :, 1])
    np.testing.assert_allclose(GREEN().predict(video), traces[:, :, 1])


# -- bad input ---------------------------------------------------------------------------
def _good(t=90):
    rng = np.random.default_rng(0)
    return 100 + rng.random((2, t, 3))


BAD_X = [
    (np.ones((90, 3)), r"shape \(n_series, T, 3\).*got shape \(90, 3\)"),
    (np.ones((2, 90, 4, 3)), r"\(n_clips, T, H, W, 3\).*got shape \(2, 90, 4, 3\)"),
    (np.ones((2, 90, 4)), r"3 colour channels last.*got shape \(2, 90, 4\)"),
    (np.ones((2, 90, 2, 2, 4)), r"3 colour channels last"),
    (np.ones((0, 90, 3)), r"empty"),
    (np.ones((2, 90, 0, 2, 3)), r"empty"),
    (np.full((2, 90, 3), "a"), r"integer or float dtype"),
    (np.ones((2, 90, 3), dtype=complex), r"integer or float dtype"),
    (np.ones((2, 90, 3), dtype=bool), r"integer or float dtype"),
]


@pytest.mark.parametrize("cls", ALL, ids=IDS)
@pytest.mark.parametrize(("bad", "match"), BAD_X, ids=range(len(BAD_X)))
def test_bad_shape_or_dtype_raises(cls, bad, match):
    for method in ("fit", "predict", "predict_hr"):
        with pytest.raises(ValueError, match=match):
            getattr(cls(), method)(bad)


@pytest.mark.parametrize("cls", ALL, ids=IDS)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_raises(cls, value):
    X = _good()
    X[1, 5, 2] = value
    with pytest.raises(ValueError, match=r"NaN or infinite.*series 1, frame 5, channel 2"):
        cls().predict(X)
    video = np.repeat(X[:, :, None, None, :], 2, axis=2).repeat(2, axis=3)
    with pytest.raises(ValueError, match="NaN or infinite"):
        cls().fit(video)


@pytest.mark.parametrize(
    ("est", "t", "match"),
    [
        (POS(), 47, r"T=47 frames.*at least 48.*window of 1.6 s"),
        (CHROM(), 47, r"T=47 frames.*at least 48"),
        (ICA(), 21, r"T=21 frames.*at least 22.*band-pass of order 3"),
        (PBV(), 9, r"T=9 frames.*at least 10"),
        (GREEN(), 1, r"T=1 frames.*at least 2"),
    ],
)
def test_too_short_raises(est, t, match):
    with pytest.raises(ValueError, match=match):
        est.predict(_good(t))
    est.predict(_good(int(match.split("at least ")[1].split(".")[0])))  # the minimum works


def test_predict_hr_needs_enough_frames_for_the_evaluation_filter():
    # GREEN itself works on 5 frames; the evaluation band-pass needs 10.
    assert GREEN().predict(_good(5)).shape == (2, 5)
    with pytest.raises(ValueError, match=r"too short.*at least 10"):
        GREEN().predict_hr(_good(5))


@pytest.mark.parametrize("cls", ALL, ids=IDS)
@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"fs": 0.0}, "fs must be a positive"),
        ({"fs": -30.0}, "fs must be a positive"),
        ({"fs": np.nan}, "fs must be a positive"),
        ({"fs": "30"}, "fs must be a positive"),
        ({"band": (2.5, 0.75)}, r"band must satisfy 0 < low < high < fs/2"),
        ({"band": (0.0, 2.5)}, r"band must satisfy"),
        ({"band": (0.75, 15.0)}, r"band must satisfy 0 < low < high < fs/2 = 15"),
        ({"band": (0.75,)}, r"band must be a pair"),
        ({"band": "ab"}, r"band must be a pair"),
    ],
)
def test_bad_common_params_raise(cls, params, match):
    for method in ("fit", "predict", "predict_hr"):
        with pytest.raises(ValueError, match=match):
            getattr(cls(**params), method)(_good())


@pytest.mark.parametrize(
    ("est", "match"),
    [
        (POS(window=0), "window must be a positive"),
        (POS(window=-1.6), "window must be a positive"),
        (POS(window=0.01), "window must span at least 2 frames"),
        (CHROM(window=0.5), r"window is too short for a band-pass of order 3.*at least 22"),
        (CHROM(filter_order=0), "filter_order must be an integer >= 1"),
        (CHROM(filter_order=2.0), "filter_order must be an integer"),
        (ICA(n_components=4), r"n_components must be an integer in \[1, 3\]"),
        (ICA(n_components=0), r"n_components must be an integer in \[1, 3\]"),
        (ICA(component=3), r"component .* must be an integer in \[0, 2\]"),
        (ICA(component="max"), r"component"),
        (ICA(algorithm="infomax"), r"algorithm must be one of \('jade', 'fastica'\)"),
        (ICA(detrend_lambda=0), "detrend_lambda must be a positive"),
        (ICA(filter_order=-1), "filter_order must be an integer >= 1"),
        (PBV(signature=[1, 2]), "signature must be one of"),
        (PBV(signature=[0, 0, 0]), "not all zero"),
        (PBV(signature=[0.3, -0.7, 0.5]), "non-negative"),
        (PBV(signature="pbv"), "signature must be one of"),
    ],
)
def test_bad_method_params_raise(est, match):
    for method in ("fit", "predict", "predict_hr"):
        with pytest.raises(ValueError, match=match):
            getattr(est, method)(_good())


@pytest.mark.parametrize("cls", [POS, CHROM, PBV], ids=["POS", "CHROM", "PBV"])
def test_negative_intensity_raises_for_mean_normalising_methods(cls):
    X = _good()
    X[0, 3, 1] = -1.0
    with pytest.raises(ValueError, match="non-negative intensities"):
        cls().predict(X)
