"""Closed-form camera traces for the baseline tests."""

from __future__ import annotations

import numpy as np
import pytest

from lqrppg import baselines

FS = 30.0
#: Relative pulse amplitudes of R, G, B in skin reflectance (blood-volume-pulse signature).
SIGNATURE = np.array([0.33, 0.77, 0.53])
#: A skin-like mean colour (R > G > B).
SKIN = np.array([170.0, 120.0, 95.0])
METHODS = ("GREEN", "CHROM", "POS", "LGI", "PBV", "ICA", "OMIT")


def closed_form_trace(
    f_hz,
    *,
    seconds: float = 20.0,
    fs: float = FS,
    amplitude: float = 0.005,
    drift: float = 0.03,
    noise: float = 0.001,
    phase: float = 0.0,
    seed: int = 0,
):
    """Mean-RGB trace of skin with a sinusoidal pulse of ``f_hz`` and illumination drift.

    ``rgb(t) = SKIN * (1 + illum(t)) * (1 + amplitude * SIGNATURE * sin(2 pi f t + phase))``
    plus independent Gaussian sensor noise (``noise`` relative to ``SKIN``) in each channel.
    ``illum`` is a slow (0.07 Hz) oscillation plus a ramp of relative size ``drift``, common
    to all channels like a change of light intensity. Returns ``(rgb (T, 3), pulse (T,))``.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * fs)) / fs
    pulse = np.sin(2 * np.pi * f_hz * t + phase)
    illum = drift * (np.sin(2 * np.pi * 0.07 * t + 0.5) + 0.5 * t / t[-1])
    rgb = SKIN * (1 + illum[:, None]) * (1 + amplitude * np.outer(pulse, SIGNATURE))
    rgb = rgb + noise * SKIN * rng.standard_normal(rgb.shape)
    return rgb, pulse


@pytest.fixture(scope="session")
def make_trace():
    """Factory for :func:`closed_form_trace`."""
    return closed_form_trace


def make_estimator(name: str, **params):
    """A baseline estimator by class name (ICA's FastICA variant is seeded)."""
    return getattr(baselines, name)(**params)
