"""The parameter constraints of lqrppg._validation: what each accepts, returns and says."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from lqrppg._validation import Boolean, Integer, Options, Positive, Real, check_params


def test_integer_wording_none_and_bools():
    assert Integer(1)(np.int64(3), "n") == 3 and type(Integer(1)(np.int64(3), "n")) is int
    with pytest.raises(ValueError, match=r"^n must be an integer in \[1, 3\]; got 4$"):
        Integer(1, 3)(4, "n")
    with pytest.raises(ValueError, match=r"^epochs must be an int >= 1; got 0$"):
        Integer(1, word="int")(0, "epochs")
    optional = Integer(1, word="int", allow_none=True)
    assert optional(None, "num_threads") is None
    with pytest.raises(ValueError, match=r"^num_threads must be None or an int >= 1; got 0$"):
        optional(0, "num_threads")
    for value in (True, None, 1.0):  # bools and None only where allowed
        with pytest.raises(ValueError, match="must be an int >= 1"):
            Integer(1, word="int")(value, "n")
    verbose = Integer(0, word="int", allow_bool=True)
    assert verbose(True, "verbose") == 1 and type(verbose(np.bool_(False), "verbose")) is int
    with pytest.raises(ValueError, match=r"^verbose must be an int >= 0; got -1$"):
        verbose(-1, "verbose")


def test_real_bounds():
    assert Real(0.0, open_low=True)(np.float32(0.5), "lr") == 0.5
    assert type(Real(0.0)(0, "w")) is float and Real(0.0)(0, "w") == 0.0
    with pytest.raises(ValueError, match=r"^lr must be a finite number > 0.0; got 0.0$"):
        Real(0.0, open_low=True)(0.0, "lr")
    with pytest.raises(ValueError, match=r"^f must be a finite number >= 0.0 and < 1.0; got 1.0$"):
        Real(0.0, 1.0)(1.0, "f")
    assert Real(0.0, 1.0, open_high=False)(1.0, "f") == 1.0
    for bad in (float("nan"), float("inf"), True, "1"):
        with pytest.raises(ValueError, match="must be a finite number"):
            Real()(bad, "x")


def test_boolean_options_positive():
    assert Boolean()(np.bool_(True), "a") is True
    with pytest.raises(ValueError, match=r"^augment must be True or False; got 1$"):
        Boolean()(1, "augment")
    with pytest.raises(ValueError, match=r"^m must be one of \('a', 'b'\); got 'c'$"):
        Options(("a", "b"))("c", "m")
    with pytest.raises(ValueError, match="positive finite number"):
        Positive()(0, "w")


def test_check_params_checks_all_or_the_names_given():
    constraints = {"a": Integer(1), "b": Real(0.0, 1.0)}
    est = SimpleNamespace(a=0, b=0.5)
    with pytest.raises(ValueError, match=r"^a must be"):
        check_params(est, constraints)
    assert check_params(est, constraints, names=("b",)) == {"b": 0.5}
    assert est.a == 0  # nothing is assigned to the estimator
