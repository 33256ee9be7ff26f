"""Resizer, VideoStandardizer, DiffNormalizer, and the contract of all clip transformers."""

from __future__ import annotations

import inspect
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

from lqrppg.baselines import POS
from lqrppg.video import (
    DiffNormalizer,
    FaceCropper,
    FaceNotFoundWarning,
    Resizer,
    VideoStandardizer,
)

cv2 = pytest.importorskip("cv2")

ALL = (Resizer, VideoStandardizer, DiffNormalizer, FaceCropper)
IDS = [c.__name__ for c in ALL]


@pytest.fixture(scope="module")
def clips(synthetic):
    """Two 16-frame, 64 x 64 synthetic clips (uint8)."""
    return np.ascontiguousarray(synthetic.videos[:, :16])


def _make(cls):
    # FaceCropper on the synthetic (cartoon) faces: centre fallback keeps it deterministic.
    return FaceCropper(on_missing="center") if cls is FaceCropper else cls()


def _run(est, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FaceNotFoundWarning)
        return est.fit_transform(X)


# --------------------------------------------------------------------------------- Resizer
@pytest.mark.parametrize("interpolation", ["area", "linear", "cubic", "nearest", "lanczos"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_resizer_matches_cv2_resize(clips, interpolation, dtype):
    X = clips.astype(dtype)
    out = Resizer(size=(24, 40), interpolation=interpolation).fit_transform(X)
    assert out.shape == (2, 16, 24, 40, 3) and out.dtype == dtype
    flag = {
        "area": cv2.INTER_AREA,
        "linear": cv2.INTER_LINEAR,
        "cubic": cv2.INTER_CUBIC,
        "nearest": cv2.INTER_NEAREST,
        "lanczos": cv2.INTER_LANCZOS4,
    }[interpolation]
    for i, t in [(0, 0), (1, 15), (1, 3)]:
        np.testing.assert_array_equal(out[i, t], cv2.resize(X[i, t], (40, 24), interpolation=flag))


def test_resizer_keeps_a_constant_image_constant():
    X = np.full((1, 3, 37, 53, 3), (10, 200, 77), dtype=np.uint8)
    for interpolation in ("area", "linear", "cubic"):
        out = Resizer(size=(128, 96), interpolation=interpolation).fit_transform(X)
        assert out.shape == (1, 3, 128, 96, 3)
        assert (out == np.array([10, 200, 77], dtype=np.uint8)).all()


def test_resizer_area_is_the_block_mean():
    rng = np.random.default_rng(0)
    X = rng.random((1, 2, 8, 8, 3)).astype(np.float64)
    out = Resizer(size=(4, 4)).fit_transform(X)
    blocks = X.reshape(1, 2, 4, 2, 4, 2, 3).mean(axis=(3, 5))
    np.testing.assert_allclose(out, blocks, rtol=1e-12)


def test_resizer_errors(clips):
    with pytest.raises(ValueError, match="size"):
        Resizer(size=(0, 10)).fit(clips)
    with pytest.raises(ValueError, match="size"):
        Resizer(size=128).fit(clips)
    with pytest.raises(ValueError, match="interpolation"):
        Resizer(interpolation="bilinear").fit(clips)
    with pytest.raises(ValueError, match="dtype"):
        Resizer().fit(clips.astype(np.int64))


# ------------------------------------------------------------------------ VideoStandardizer
def test_standardizer_zero_mean_unit_std_per_clip(clips):
    X = clips.copy()
    X[1] = X[1] // 2 + 40  # a different brightness and contrast
    Z = VideoStandardizer().fit_transform(X)
    assert Z.dtype == np.float32 and Z.shape == X.shape
    for i in range(2):
        assert abs(Z[i].mean(dtype=np.float64)) < 1e-5
        assert Z[i].std(dtype=np.float64) == pytest.approx(1.0, abs=1e-5)
        ref = (X[i] - X[i].mean(dtype=np.float64)) / X[i].std(dtype=np.float64)
        np.testing.assert_allclose(Z[i], ref, rtol=1e-6, atol=1e-6)


def test_standardizer_refuses_a_constant_clip(clips):
    X = clips.copy()
    X[1] = 90
    with pytest.raises(ValueError, match=r"clip 1 .*constant"):
        VideoStandardizer().fit_transform(X)
    with pytest.raises(ValueError, match="NaN"):
        VideoStandardizer().fit(np.full((1, 2, 2, 2, 3), np.nan))


# --------------------------------------------------------------------------- DiffNormalizer
def _diff_normalized_reference(clip: np.ndarray, eps: float = 1e-7) -> np.ndarray:
    """rPPG-Toolbox's diff_normalize_data, written out frame by frame."""
    n = clip.shape[0]
    data = clip.astype(np.float64)
    d = np.zeros((n - 1, *clip.shape[1:]))
    for j in range(n - 1):
        d[j] = (data[j + 1] - data[j]) / (data[j + 1] + data[j] + eps)
    d = d / np.std(d)
    return np.concatenate([d, np.zeros((1, *clip.shape[1:]))])


def test_diff_normalizer_matches_reference(clips):
    D = DiffNormalizer().fit_transform(clips)
    assert D.dtype == np.float32 and D.shape == clips.shape
    for i in range(2):
        np.testing.assert_allclose(D[i], _diff_normalized_reference(clips[i]), rtol=1e-5, atol=1e-6)
    assert (D[:, -1] == 0).all()
    assert D[:, :-1].std(axis=(1, 2, 3, 4)) == pytest.approx([1.0, 1.0], abs=1e-5)


def test_diff_normalizer_handles_black_pixels_and_eps():
    X = np.zeros((1, 3, 2, 2, 3), dtype=np.uint8)
    X[0, 1, 0, 0] = 10  # one pixel lights up then goes dark
    D = DiffNormalizer(eps=1e-3).fit_transform(X)
    assert np.all(np.isfinite(D))
    np.testing.assert_allclose(D[0], _diff_normalized_reference(X[0], eps=1e-3), rtol=1e-5)


def test_diff_normalizer_errors(clips):
    with pytest.raises(ValueError, match="no frame-to-frame change"):
        DiffNormalizer().fit_transform(np.repeat(clips[:, :1], 4, axis=1))
    with pytest.raises(ValueError, match="at least 2 frames"):
        DiffNormalizer().fit(clips[:, :1])
    with pytest.raises(ValueError, match="non-negative"):
        DiffNormalizer().fit(clips.astype(np.float32) - 100)
    with pytest.raises(ValueError, match="eps"):
        DiffNormalizer(eps=0.0).fit(clips)


# ------------------------------------------------------------------------------ contract
@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_init_is_keyword_only_and_stores_params(cls):
    params = [p for n, p in inspect.signature(cls.__init__).parameters.items() if n != "self"]
    assert all(p.kind is p.KEYWORD_ONLY for p in params)
    assert cls().get_params() == {p.name: p.default for p in params}
    odd = {p.name: object() for p in params}  # stored unchanged, validated in fit
    assert cls(**odd).get_params() == odd


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_clone_set_params_and_pickle(cls, clips):
    est = _make(cls)
    out = _run(est, clips)
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params()
    np.testing.assert_array_equal(_run(twin, clips), out)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(_run(again, clips), out)
    with pytest.raises(ValueError, match="Invalid parameter"):
        est.set_params(nope=1)


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_stateless_fit_tags_and_input_not_mutated(cls, clips):
    est = _make(cls)
    data = clips.copy()
    data.setflags(write=False)  # read-only input must work
    before = dict(vars(est))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FaceNotFoundWarning)
        assert est.fit(data) is est and est.fit(data, y=np.zeros(2)) is est
        out = est.transform(data)
        unfitted = _make(cls).transform(data)  # no fit needed
    assert vars(est) == before
    np.testing.assert_array_equal(data, clips)
    np.testing.assert_array_equal(out, unfitted)
    assert not np.shares_memory(out, data)
    assert out.shape[:2] == clips.shape[:2] and out.shape[-1] == 3
    tags = get_tags(est)
    assert tags.requires_fit is False
    assert tags.input_tags.three_d_array and not tags.input_tags.two_d_array


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_bad_clip_shapes_are_refused(cls, clips):
    est = _make(cls)
    with pytest.raises(ValueError, match=r"\(n_clips, T, H, W, 3\).*X\[None\]"):
        est.fit(clips[0])
    with pytest.raises(ValueError, match="3 colour channels"):
        est.fit(clips[..., :2])
    with pytest.raises(ValueError, match="empty"):
        est.fit(clips[:0])


def test_pipeline_of_video_transformers_before_an_estimator(clips):
    pipe = Pipeline(
        [
            ("crop", FaceCropper(on_missing="center", output_size=(32, 32))),
            ("resize", Resizer(size=(16, 16))),
            ("rppg", POS(fs=30.0, window=0.3)),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FaceNotFoundWarning)
        wave = pipe.fit(clips).predict(clips)
        manual = FaceCropper(on_missing="center", output_size=(32, 32)).transform(clips)
    expected = POS(fs=30.0, window=0.3).predict(Resizer(size=(16, 16)).transform(manual))
    assert wave.shape == (2, 16)
    np.testing.assert_array_equal(wave, expected)
    norm = Pipeline([("resize", Resizer(size=(8, 8))), ("z", VideoStandardizer())])
    assert norm.fit_transform(clips).shape == (2, 16, 8, 8, 3)
    assert clone(norm).set_params(resize__size=(4, 4)).fit_transform(clips).shape[2:4] == (4, 4)
