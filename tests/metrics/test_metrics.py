"""HR metrics, scorers and Bland-Altman against hand-computed references."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from lqrppg.exceptions import EstimationWarning
from lqrppg.metrics import (
    bland_altman,
    evaluate_hr,
    hr_error_from_waveforms,
    hr_mae,
    hr_mape,
    hr_pearson,
    hr_rmse,
    make_hr_scorer,
    neg_hr_mae,
)
from lqrppg.signal import estimate_hr

TRUE = np.array([60.0, 72.0, 85.0, 100.0, 118.0])
PRED = np.array([62.0, 70.0, 85.0, 104.0, 112.0])
ERR = PRED - TRUE  # [2, -2, 0, 4, -6]


def test_values_and_standard_errors_by_hand():
    # |e| = [2, 2, 0, 4, 6]: mean 2.8, population variance 20.8 / 5 = 4.16
    mae, se = hr_mae(TRUE, PRED, return_std_error=True)
    assert mae == pytest.approx(2.8)
    assert se == pytest.approx(np.sqrt(4.16) / np.sqrt(5))
    # e^2 = [4, 4, 0, 16, 36]: MSE 12, RMSE sqrt(12); delta-method SE
    rmse, se = hr_rmse(TRUE, PRED, return_std_error=True)
    assert rmse == pytest.approx(np.sqrt(12.0))
    assert se == pytest.approx(
        np.sqrt(np.mean((np.array([4, 4, 0, 16, 36]) - 12.0) ** 2))
        / np.sqrt(5)
        / (2 * np.sqrt(12.0))
    )
    rel = 100 * np.abs(ERR) / TRUE
    mape, se = hr_mape(TRUE, PRED, return_std_error=True)
    assert mape == pytest.approx(rel.mean())
    assert se == pytest.approx(rel.std() / np.sqrt(5))
    r, se = hr_pearson(TRUE, PRED, return_std_error=True)
    tc, pc = TRUE - TRUE.mean(), PRED - PRED.mean()
    r_ref = (tc @ pc) / np.sqrt((tc @ tc) * (pc @ pc))
    assert r == pytest.approx(r_ref)
    assert se == pytest.approx(np.sqrt((1 - r_ref**2) / 3))


def test_evaluate_hr_table():
    snr = np.array([3.0, 5.0, 7.0, 1.0, 4.0])
    table = evaluate_hr(TRUE, PRED, snr=snr)
    assert list(table.index) == ["MAE", "RMSE", "MAPE", "Pearson", "SNR", "coverage"]
    assert list(table.columns) == ["value", "std_error", "unit", "n"]
    assert table.loc["MAE", "value"] == pytest.approx(2.8)
    assert table.loc["SNR", "value"] == pytest.approx(4.0)
    assert table.loc["SNR", "std_error"] == pytest.approx(snr.std() / np.sqrt(5))
    assert (table["n"] == 5).all()
    assert table.loc["coverage", "value"] == 100.0


def test_nan_predictions_raise_or_are_counted():
    pred = PRED.copy()
    pred[1] = np.nan
    with pytest.raises(ValueError, match="1 NaN value"):
        hr_mae(TRUE, pred)
    with pytest.warns(UserWarning, match="1 of 5 predictions are NaN"):
        table = evaluate_hr(TRUE, pred, nan_policy="omit", snr=np.ones(5))
    assert table.loc["MAE", "value"] == pytest.approx(np.mean([2, 0, 4, 6]))
    assert (table.drop("coverage")["n"] == 4).all()
    # The decline is counted: 4 of 5 estimated, binomial standard error.
    assert table.loc["coverage", "value"] == pytest.approx(80.0)
    assert table.loc["coverage", "std_error"] == pytest.approx(100 * np.sqrt(0.8 * 0.2 / 5))
    assert table.loc["coverage", "n"] == 5


def test_nothing_estimated_is_reported_with_zero_coverage():
    table = evaluate_hr(TRUE, np.full(5, np.nan), nan_policy="omit")
    assert table.loc["coverage", "value"] == 0.0 and table.loc["coverage", "n"] == 5
    assert table.drop("coverage")["value"].isna().all() and (table.drop("coverage")["n"] == 0).all()
    with pytest.raises(ValueError, match="5 NaN value"):
        evaluate_hr(TRUE, np.full(5, np.nan))


def test_pearson_undefined_cases_warn():
    with pytest.warns(EstimationWarning, match="undefined"):
        assert np.isnan(hr_pearson([60, 70], [61, 69]))
    with pytest.warns(EstimationWarning, match="undefined"):
        assert np.isnan(hr_pearson([60, 70, 80], [70, 70, 70]))


def test_bland_altman_stats():
    stats = bland_altman(TRUE, PRED)
    assert stats["bias"] == pytest.approx(ERR.mean())
    assert stats["sd"] == pytest.approx(ERR.std(ddof=1))
    assert stats["loa_high"] == pytest.approx(ERR.mean() + 1.96 * ERR.std(ddof=1))
    np.testing.assert_allclose(stats["mean"], (TRUE + PRED) / 2)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: hr_mae([60, 70], [60]), "differ in length"),
        (lambda: hr_mae([[60, 70]], [[60, 70]]), r"shape \(n,\)"),
        (lambda: hr_mae([60, np.nan], [60, 70]), "hr_true contains NaN"),
        (lambda: hr_mae([60, 70], [60, np.inf]), "infinite"),
        (lambda: hr_mae(["a"], ["b"]), "numbers"),
        (lambda: hr_mape([0, 70], [60, 70]), "positive heart rates"),
        (lambda: hr_mae([60], [60], nan_policy="drop"), "nan_policy must be one of"),
        (lambda: evaluate_hr(TRUE, PRED, snr=[1.0]), "snr must have shape"),
        (lambda: make_hr_scorer("r2"), "metric must be one of"),
        (lambda: make_hr_scorer(fs=0), "fs must be a positive"),
    ],
)
def test_bad_input_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def _waves(freqs_hz, fs=30.0, duration=20.0):
    t = np.arange(int(duration * fs)) / fs
    return np.stack([np.sin(2 * np.pi * f * t) for f in freqs_hz])


class _ShiftedSine(RegressorMixin, BaseEstimator):
    """Test estimator: predicts each clip's input sinusoid at a frequency offset."""

    def __init__(self, *, offset_hz=0.0):
        self.offset_hz = offset_hz

    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def predict(self, X):
        return _waves(X[:, 0] + self.offset_hz)


def test_scorer_equals_direct_computation_and_pickles():
    y = _waves([1.0, 1.2, 1.5, 1.8])
    X = np.array([[1.0], [1.2], [1.5], [1.8]])
    scorer = make_hr_scorer("mae", fs=30.0)
    est = _ShiftedSine(offset_hz=0.1).fit(X)
    expected = np.mean(np.abs(estimate_hr(est.predict(X), 30.0) - estimate_hr(y, 30.0)))
    assert expected == pytest.approx(6.0, abs=0.3)
    assert scorer(est, X, y) == pytest.approx(-expected)
    assert pickle.loads(pickle.dumps(scorer))(est, X, y) == pytest.approx(-expected)
    # y may also be heart rates directly
    assert neg_hr_mae(30.0)(est, X, 60 * X[:, 0]) == pytest.approx(-expected, abs=0.3)


def test_scorer_in_grid_search_with_processes():
    y = _waves([1.0, 1.2, 1.5, 1.8, 2.0, 1.1])
    X = np.array([[1.0], [1.2], [1.5], [1.8], [2.0], [1.1]])
    search = GridSearchCV(
        _ShiftedSine(),
        {"offset_hz": [0.2, 0.0, 0.1]},
        scoring=neg_hr_mae(30.0),
        cv=KFold(3),
        n_jobs=2,
    )
    search.fit(X, y)
    assert search.best_params_ == {"offset_hz": 0.0}
    scores = cross_val_score(_ShiftedSine(offset_hz=0.2), X, y, scoring=neg_hr_mae(30.0), cv=3)
    np.testing.assert_allclose(scores, -12.0, atol=0.5)


def test_scorer_nan_when_prediction_has_no_pulse():
    y = _waves([1.0, 1.2])
    flat = np.zeros_like(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(EstimationWarning, match="2 of 2 predicted clips"):
            hr_error_from_waveforms(y, flat, fs=30.0)
    with pytest.warns(EstimationWarning), pytest.raises(ValueError, match="reference clips"):
        hr_error_from_waveforms(flat, y, fs=30.0)


def test_plot_bland_altman_draws_the_stats():
    import matplotlib

    matplotlib.use("Agg")
    from lqrppg.plotting import plot_bland_altman

    ax = plot_bland_altman(TRUE, PRED)
    levels = sorted(line.get_ydata()[0] for line in ax.get_lines())
    stats = bland_altman(TRUE, PRED)
    np.testing.assert_allclose(levels, sorted([stats["loa_low"], stats["bias"], stats["loa_high"]]))
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 1], ERR)
