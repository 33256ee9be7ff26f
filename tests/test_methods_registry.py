"""The one registry of unsupervised methods covers every public baseline, and every user of
it (command line, predict_video, live) accepts exactly its names."""

from __future__ import annotations

import inspect

import pytest

import lqrppg.baselines as baselines
from lqrppg._methods import BASELINES, baseline_class


def _public_baselines() -> set[str]:
    return {
        name
        for name in baselines.__all__
        if inspect.isclass(obj := getattr(baselines, name))
        and issubclass(obj, baselines.BaseRPPG)
        and not inspect.isabstract(obj)
        and obj is not baselines.BaseRPPG
    }


def test_every_public_baseline_is_registered_once():
    assert sorted(BASELINES.values()) == sorted(_public_baselines())
    for name in BASELINES:
        cls = baseline_class(name)
        assert cls.__name__ == BASELINES[name] and issubclass(cls, baselines.BaseRPPG)


def test_an_unknown_name_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown method 'nope'.*pos"):
        baseline_class("nope")


def test_the_users_of_the_registry_take_its_names():
    from lqrppg.cli import _build_parser
    from lqrppg.pipeline import METHODS

    assert METHODS == ("lqrppg", *BASELINES)
    parser = _build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    choices = {
        cmd: next(a for a in sub[cmd]._actions if a.dest == "method").choices
        for cmd in ("predict", "live", "evaluate")
    }
    assert set(choices["predict"]) == set(METHODS)
    assert set(choices["evaluate"]) == set(METHODS)
    assert tuple(choices["live"]) == tuple(BASELINES)
