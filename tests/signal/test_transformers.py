"""scikit-learn contract of the signal transformers (scikit-learn's own checks of them run in
tests/test_common.py)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from lqrppg.signal import (
    BandpassFilter,
    Detrender,
    SignalStandardizer,
    bandpass,
    detrend,
    standardize,
)

X = np.random.default_rng(0).standard_normal((4, 300)).cumsum(axis=1)


@pytest.mark.parametrize(
    ("transformer", "function"),
    [
        (Detrender(lam=50.0), lambda x: detrend(x, lam=50.0)),
        (
            BandpassFilter(fs=25.0, band=(0.7, 3.0), order=2),
            lambda x: bandpass(x, 25.0, (0.7, 3.0), 2),
        ),
        (SignalStandardizer(), standardize),
    ],
)
def test_transformers_equal_functions_and_compose(transformer, function):
    np.testing.assert_allclose(transformer.fit_transform(X), function(X))
    restored = pickle.loads(pickle.dumps(transformer.fit(X)))
    np.testing.assert_allclose(restored.transform(X), function(X))
    assert clone(transformer).get_params() == transformer.get_params()
    with pytest.raises(NotFittedError):
        clone(transformer).transform(X)


def test_pipeline_of_transformers():
    pipe = make_pipeline(Detrender(), BandpassFilter(fs=30.0), SignalStandardizer())
    out = pipe.fit_transform(X)
    expected = standardize(bandpass(detrend(X), 30.0))
    np.testing.assert_allclose(out, expected)


def test_transform_checks_clip_length_and_params():
    det = Detrender().fit(X)
    with pytest.raises(ValueError, match="300 features"):
        det.transform(X[:, :200])
    with pytest.raises(ValueError, match="lam must be a positive"):
        Detrender(lam=-1).fit(X)
    with pytest.raises(ValueError, match="0 < low < high"):
        BandpassFilter(band=(3.0, 1.0)).fit(X)
    with pytest.raises(ValueError, match="order must be a positive"):
        BandpassFilter(order=1.5).fit(X)
