"""The base of every torch estimator of the package: device, threads, seeding, pickling.

:class:`TorchEstimatorMixin` is written once for :class:`~lqrppg.quantization.LabelQuantizer`
and the video regressors (:class:`~lqrppg.models.BaseVideoRegressor`); the helpers beneath
are :mod:`lqrppg._training`'s, the model files :mod:`lqrppg._persistence`'s.
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from lqrppg._persistence import _available_device
from lqrppg._training import random_seed, resolve_device, torch_num_threads
from lqrppg._validation import Integer, Real

__all__ = ["Device", "TorchEstimatorMixin"]


@dataclass(frozen=True)
class Device:
    """A ``device`` parameter: 'auto' or a device this machine has (:func:`resolve_device`)."""

    def __call__(self, value: Any, name: str) -> torch.device:
        return resolve_device(value)


class TorchEstimatorMixin:
    """What every torch estimator shares: common parameters, device, threads, seeding, pickling.

    It declares the parameters they all take and train with (``epochs``, ``batch_size``,
    ``lr``, ``weight_decay``, ``validation_fraction``, ``device``, ``num_threads``,
    ``verbose``; a subclass merges them into its own ``_parameter_constraints``), turns
    ``device`` into the device of a fit (:meth:`_fit_device`), ``num_threads`` into the torch
    threads of a block of work (:meth:`_torch_threads`) and ``random_state`` into the one
    generator a fit draws all its seeds from (:meth:`_fit_rng`). The fitted networks (the
    attributes named in ``_torch_modules``: an ``nn.Module`` or a list of them) are pickled
    from the CPU; unpickling moves them to ``device_`` when this machine has it, else keeps
    them on the CPU with a warning, in evaluation mode either way.

    Examples
    --------
    >>> from lqrppg.quantization import LabelQuantizer
    >>> lq = LabelQuantizer(device="cpu", num_threads=1)
    >>> lq._fit_device(), "device" in LabelQuantizer._parameter_constraints
    (device(type='cpu'), True)
    """

    #: Attributes holding the fitted networks (an ``nn.Module`` or a list of them).
    _torch_modules: tuple[str, ...] = ()
    #: The parameters every torch estimator takes (the integers are worded "an int").
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "epochs": Integer(1, word="int"),
        "batch_size": Integer(1, word="int"),
        "lr": Real(0.0, open_low=True),
        "weight_decay": Real(0.0),
        "validation_fraction": Real(0.0, 1.0),
        "num_threads": Integer(1, word="int", allow_none=True),
        "verbose": Integer(0, word="int", allow_bool=True),
        "device": Device(),
    }

    def _fit_device(self) -> torch.device:
        """The device of a fit: ``device`` resolved ('auto' is CUDA when available)."""
        return resolve_device(self.device)

    def _fit_rng(self) -> np.random.Generator:
        """The generator a fit draws every seed from: one seed of ``random_state``.

        An int gives the same draws every time and touches no global random state; a
        RandomState or Generator is advanced by one draw, None draws from numpy's global one
        (as in scikit-learn).
        """
        return np.random.default_rng(random_seed(self.random_state))

    def _torch_threads(self, default: int | None = None) -> contextlib.AbstractContextManager:
        """A block on ``num_threads`` torch threads (``default`` when it is None; None leaves
        torch's setting alone), the setting restored afterwards."""
        return torch_num_threads(default if self.num_threads is None else self.num_threads)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        for name in self._torch_modules:
            if state.get(name) is not None:
                state[name] = _map_modules(state[name], _on_cpu)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if any(state.get(name) is not None for name in self._torch_modules):
            self.device_ = _available_device(self.device_, type(self).__name__)
            for name in self._torch_modules:
                if state.get(name) is not None:
                    value = _map_modules(state[name], lambda m: m.to(self.device_).eval())
                    setattr(self, name, value)


def _on_cpu(module: nn.Module) -> nn.Module:
    """``module`` itself when all its tensors are on the CPU, else a CPU copy (not moved)."""
    tensors = module.state_dict().values()
    return module if all(t.device.type == "cpu" for t in tensors) else copy.deepcopy(module).cpu()


def _map_modules(value: Any, fn: Any) -> Any:
    return [fn(m) for m in value] if isinstance(value, list) else fn(value)
