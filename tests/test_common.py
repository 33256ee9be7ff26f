"""Checks over every public estimator of the package, found by walking its ``__all__``.

:func:`all_estimators` lists the public, non-abstract ``BaseEstimator`` subclasses of every
public subpackage (as imbalanced-learn's ``all_estimators()`` does), so a new estimator is
checked without being listed here. Each one has an input kind in ``_KIND``; a new estimator
without one fails :func:`test_every_estimator_has_an_input_kind` until it is given one.

- ``"signals"`` (2-D input of shape (n_signals, T)): scikit-learn's own
  ``parametrize_with_checks``, with the honest expected failures below.
- ``"rgb"`` (RGB traces (n, T, 3) or clips (n, T, H, W, 3)), ``"clips"`` (float clips),
  ``"faces"`` (8-bit clips) and ``"clips+labels"`` (clips with contact-PPG labels
  (n, T)): inputs the generic checks cannot build, so the contract of STYLE.md rule 6 runs on
  data of that kind here (fit returns self, the output's shape, pickle and clone give the same
  output, the input is not written to, NotFittedError where a fit is required); the
  per-package contract tests go further.

Every estimator, of any kind, has a keyword-only ``__init__`` that stores its arguments, and
every parameter it declares in ``_parameter_constraints`` is refused by ``fit`` when invalid.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

import lqrppg

# ------------------------------------------------------------------ finding the estimators


def _is_abstract(cls: type) -> bool:
    """Abstract: with abstract methods, or a ``Base*`` class that subclasses fill in."""
    return inspect.isabstract(cls) or cls.__name__.startswith("Base")


def all_estimators() -> list[tuple[str, type]]:
    """``(name, class)`` of every public estimator of lqrppg, sorted by name."""
    found: dict[str, type] = {}
    for sub in lqrppg._SUBMODULES:
        module = importlib.import_module(f"lqrppg.{sub}")
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, BaseEstimator) and not _is_abstract(obj):
                found[name] = obj
    return sorted(found.items())


_ALL = all_estimators()
_IDS = [name for name, _ in _ALL]

#: The input each estimator takes (see the module docstring).
_KIND = {
    "BandpassFilter": "signals",
    "Detrender": "signals",
    "SignalStandardizer": "signals",
    "LabelQuantizer": "signals",
    "Auto": "rgb",
    "CHROM": "rgb",
    "GREEN": "rgb",
    "ICA": "rgb",
    "LGI": "rgb",
    "OMIT": "rgb",
    "PBV": "rgb",
    "POS": "rgb",
    "DiffNormalizer": "clips",
    "Resizer": "clips",
    "VideoStandardizer": "clips",
    "FaceCropper": "faces",
    "LQRPPGRegressor": "clips+labels",
    "PhysNetRegressor": "clips+labels",
}

_LQ_TINY = {"levels": (2, 4), "epochs": 1, "d_state": 4, "batch_size": 8, "random_state": 0}
_T = 40  # clip length of the clips+labels kind: the frequency loss needs T >= 40 at 30 Hz
_VIDEO_TINY = {"chunk_length": _T, "epochs": 1, "batch_size": 4, "num_threads": 1}


def _instances(name: str, cls: type) -> list[BaseEstimator]:
    """Small, seeded instances of an estimator (``cls()`` where the defaults are small)."""
    if name == "LabelQuantizer":
        return [
            # Pearson + commitment objective: works on clips of any length >= 2, which
            # covers the 2-10 time steps of the generic checks.
            cls(frequency_weight=0.0, **_LQ_TINY),
            # The full hybrid objective at a sampling rate where the frequency band resolves
            # from 3 samples on: 1 Hz, 20-29 bpm (T >= ceil(60 * 1 / 20) = 3; Nyquist 30 bpm).
            cls(fs=1.0, bpm_range=(20, 29), **_LQ_TINY),
        ]
    if name == "BandpassFilter":
        return [cls(fs=30.0)]
    if name == "Resizer":
        return [cls(size=(8, 8))]
    if name == "FaceCropper":
        return [cls(on_missing="center", output_size=(8, 8))]
    if name == "ICA":
        return [cls(random_state=0)]
    if name == "LQRPPGRegressor":
        tiny = {"dim": 16, "n_blocks": 2, "d_state": 4, "levels": (2, 4, 8)}
        return [cls(**_VIDEO_TINY, **tiny, quantizer_epochs=1, random_state=0)]
    if name == "PhysNetRegressor":
        return [cls(**_VIDEO_TINY, random_state=0)]
    return [cls()]


def test_all_estimators_finds_the_public_estimators():
    names = set(_IDS)
    # one of each subpackage that has estimators, and no abstract base
    assert {"Detrender", "POS", "Resizer", "LabelQuantizer", "LQRPPGRegressor"} <= names
    assert not names & {"BaseRPPG", "BaseVideoRegressor"}
    assert len(_ALL) == len(names)  # one entry per class


@pytest.mark.parametrize(("name", "cls"), _ALL, ids=_IDS)
def test_every_estimator_has_an_input_kind(name, cls):
    assert name in _KIND, (
        f"{name} is a public estimator without an input kind: add it to _KIND in "
        "tests/test_common.py (and, if its defaults are large, a small instance to _instances)"
    )


@pytest.mark.parametrize(("name", "cls"), _ALL, ids=_IDS)
def test_init_is_keyword_only_and_stores_params(name, cls):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert all(p.kind is p.KEYWORD_ONLY for p in params), name
    est = cls()
    assert est.get_params(deep=False) == {p.name: p.default for p in params}
    assert clone(est).get_params(deep=False) == est.get_params(deep=False)


# ------------------------------------------------------------------ 2-D input: sklearn's checks

# The generic checks feed clips of 2-5 time steps. A band-pass needs more samples than its
# forward-backward padding (10 for order 1) and refuses shorter clips with a clear error
# rather than filtering them with an arbitrary shorter padding.
_SHORT = "needs clips longer than the filter padding (10 samples); the check uses 2-5"
_BANDPASS_XFAIL = {
    name: _SHORT
    for name in (
        "check_fit_score_takes_y",
        "check_estimators_dtypes",
        "check_pipeline_consistency",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_transformer_data_not_an_array",
        "check_transformer_general",
        "check_transformer_preserve_dtypes",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_dict_unchanged",
        "check_fit_idempotent",
    )
}
# Integer check data (values 0-2 over a few time steps) hold constant clips, which have no
# standard deviation and are refused rather than standardised by a division by zero.
_CONSTANT_XFAIL = {
    "check_estimators_dtypes": "integer check data contain a constant clip, which is refused"
}
# The hybrid LabelQuantizer refuses clips shorter than one period of its lowest rate
# (3 samples); these checks feed clips of 2 time steps.
_TWO_STEPS = "the check feeds clips of T=2; the frequency loss needs T >= 3 at this fs and band"
_HYBRID_XFAIL = {
    name: _TWO_STEPS
    for name in (
        "check_estimators_overwrite_params",
        "check_estimators_fit_returns_self",
        "check_readonly_memmap_input",
        "check_fit_idempotent",
        "check_fit_check_is_fitted",
        "check_n_features_in",
    )
}


def _expected_failed(estimator):
    name = type(estimator).__name__
    if name == "BandpassFilter":
        return _BANDPASS_XFAIL
    if name == "SignalStandardizer":
        return _CONSTANT_XFAIL
    if name == "LabelQuantizer":
        if estimator.frequency_weight > 0:
            return {**_CONSTANT_XFAIL, **_HYBRID_XFAIL}
        return _CONSTANT_XFAIL
    return {}


_SIGNAL_ESTIMATORS = [
    est for name, cls in _ALL if _KIND.get(name) == "signals" for est in _instances(name, cls)
]


@parametrize_with_checks(_SIGNAL_ESTIMATORS, expected_failed_checks=_expected_failed)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ------------------------------------------------------------------ traces and clips: contract


@pytest.fixture(scope="module")
def synthetic():
    """4 clips (4 subjects) of 40 frames of 16 x 16, uint8, with their contact PPG."""
    from lqrppg.datasets import make_synthetic_rppg

    return make_synthetic_rppg(
        n_subjects=4, duration=_T / 30.0, fs=30.0, frame_size=(16, 16), random_state=0
    )


def _data(kind: str, synthetic) -> tuple[np.ndarray, np.ndarray | None]:
    videos = synthetic.videos
    if kind == "rgb":
        rgb = videos.mean(axis=(2, 3))
        return np.concatenate([rgb, rgb[:, ::-1]], axis=1), None  # 80 frames: POS's window
    if kind == "clips":
        return videos.astype(np.float32), None
    if kind == "faces":
        return videos, None
    return videos, synthetic.ppg


def _output(est: BaseEstimator, X: np.ndarray) -> np.ndarray:
    return est.predict(X) if hasattr(est, "predict") else est.transform(X)


_CONTRACT = [
    pytest.param(est, id=f"{name}-{i}")
    for name, cls in _ALL
    if _KIND.get(name, "signals") != "signals"
    for i, est in enumerate(_instances(name, cls))
]


@pytest.mark.parametrize("estimator", _CONTRACT)
def test_contract_on_its_input(estimator, synthetic):
    kind = _KIND[type(estimator).__name__]
    X, y = _data(kind, synthetic)
    X_before = X.copy()
    est = clone(estimator)
    requires_fit = est.__sklearn_tags__().requires_fit
    if requires_fit:
        with pytest.raises(NotFittedError):
            _output(clone(estimator), X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # face-not-found and quality warnings on tiny data
        assert est.fit(X, y) is est
        out = _output(est, X)
        assert out.shape[0] == X.shape[0]
        if kind in ("rgb", "clips+labels"):
            assert out.shape == X.shape[:2]  # one pulse value per frame
        else:
            assert out.ndim == 5 and out.shape[:2] == X.shape[:2] and out.shape[-1] == 3
        np.testing.assert_array_equal(_output(pickle.loads(pickle.dumps(est)), X), out)
        np.testing.assert_array_equal(_output(clone(estimator).fit(X, y), X), out)
        if not requires_fit:
            np.testing.assert_array_equal(_output(clone(estimator), X), out)
    np.testing.assert_array_equal(X, X_before)


# ------------------------------------------------------------------ declared parameter constraints


def _invalid(constraint):
    """A value the constraint refuses."""
    from lqrppg._validation import Boolean, Integer, Options, Positive, Real

    if isinstance(constraint, Integer):
        return constraint.low - 1
    if isinstance(constraint, Positive):
        return 0.0
    if isinstance(constraint, Real):
        return constraint.low if constraint.open_low else constraint.low - 1.0
    if isinstance(constraint, Boolean):
        return "yes"
    if isinstance(constraint, Options):
        return "not-an-option"
    if type(constraint).__name__ == "Device":  # lqrppg._torch_base imports torch
        return 3
    raise AssertionError(f"no invalid value known for {constraint!r}")


_CONSTRAINED = [
    pytest.param(cls, param, constraint, id=f"{name}-{param}")
    for name, cls in _ALL
    for param, constraint in getattr(cls, "_parameter_constraints", {}).items()
]


@pytest.mark.parametrize(("cls", "param", "constraint"), _CONSTRAINED)
def test_declared_constraints_are_checked_by_fit(cls, param, constraint, synthetic):
    assert param in inspect.signature(cls.__init__).parameters  # a real parameter
    X, y = _data(_KIND[cls.__name__], synthetic)
    est = cls(**{param: _invalid(constraint)})
    with pytest.raises(ValueError, match=rf"^{param} must be"):
        est.fit(X, y)
