"""The torch-estimator base: declared common parameters, device, threads, seeding."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

from lqrppg._torch_base import TorchEstimatorMixin
from lqrppg._training import random_seed
from lqrppg.models import LQRPPGRegressor, PhysNetRegressor
from lqrppg.quantization import LabelQuantizer

TORCH_ESTIMATORS = [LabelQuantizer, LQRPPGRegressor, PhysNetRegressor]


@pytest.mark.parametrize("cls", TORCH_ESTIMATORS)
def test_every_torch_estimator_declares_the_common_parameters(cls):
    assert issubclass(cls, TorchEstimatorMixin)
    common = TorchEstimatorMixin._parameter_constraints
    for name, constraint in common.items():
        assert cls._parameter_constraints[name] is constraint
    params = inspect.signature(cls.__init__).parameters
    assert set(cls._parameter_constraints) <= set(params)
    assert {"device", "num_threads", "random_state"} <= set(params)


def test_threads_are_set_for_the_block_and_restored():
    before = torch.get_num_threads()
    est = LabelQuantizer(num_threads=1)
    with est._torch_threads(default=2):
        assert torch.get_num_threads() == 1  # num_threads wins over the default
    assert torch.get_num_threads() == before
    est.set_params(num_threads=None)
    with est._torch_threads(default=1):
        assert torch.get_num_threads() == 1
    with est._torch_threads():  # None and no default: torch's setting left alone
        assert torch.get_num_threads() == before
    assert torch.get_num_threads() == before


def test_fit_rng_is_seeded_by_random_state_without_global_state():
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    torch_state = torch.random.get_rng_state()
    draws = LQRPPGRegressor(random_state=3)._fit_rng().integers(2**31 - 1, size=4)
    expected = np.random.default_rng(random_seed(3)).integers(2**31 - 1, size=4)
    np.testing.assert_array_equal(draws, expected)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    gen = np.random.default_rng(0)
    a = PhysNetRegressor(random_state=gen)._fit_rng().random()
    b = PhysNetRegressor(random_state=gen)._fit_rng().random()
    assert a != b  # a Generator is advanced by each fit


def test_fit_device():
    assert LabelQuantizer(device="cpu")._fit_device() == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert PhysNetRegressor()._fit_device().type == expected
    with pytest.raises(ValueError, match="device"):
        LabelQuantizer(device="tpu")._fit_device()
