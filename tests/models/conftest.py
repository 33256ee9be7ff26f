"""Tiny synthetic clips and tiny configurations shared by the model tests."""

from __future__ import annotations

import pytest

from lqrppg.datasets import make_synthetic_rppg

FS = 30.0
T = 40  # the frequency loss needs T >= ceil(60 * 30 / 45) = 40
SIZE = 16

#: The smallest LQ-rPPG that still has every part: 2 blocks, 3 levels, one epoch.
LQ_TINY = {
    "chunk_length": T,
    "dim": 16,
    "n_blocks": 2,
    "d_state": 4,
    "levels": (2, 4, 8),
    "epochs": 1,
    "quantizer_epochs": 1,
    "batch_size": 4,
    "verbose": 0,
    # tiny networks run fastest on one thread; on a busy machine a thread pool makes every
    # small operation wait for the others
    "num_threads": 1,
}
PHYSNET_TINY = {"chunk_length": T, "epochs": 1, "batch_size": 4, "verbose": 0, "num_threads": 1}


@pytest.fixture(scope="session")
def data():
    """8 clips (4 subjects x 2 videos) of 40 frames of 16 x 16, uint8, mild label noise."""
    return make_synthetic_rppg(
        n_subjects=4,
        videos_per_subject=2,
        duration=T / FS,
        fs=FS,
        frame_size=(SIZE, SIZE),
        random_state=0,
    )


@pytest.fixture(scope="session")
def easy():
    """Two clean clips with a strong pulse: what a network should fit quickly."""
    return make_synthetic_rppg(
        n_subjects=2,
        duration=T / FS,
        fs=FS,
        frame_size=(SIZE, SIZE),
        label_noise="none",
        motion="none",
        illumination="none",
        pulse_amplitude=0.01,
        random_state=1,
    )


@pytest.fixture(scope="session")
def tiny():
    """Factory: ``tiny("lq", **overrides)`` or ``tiny("physnet", ...)``, an unfitted estimator."""
    from lqrppg.models import LQRPPGRegressor, PhysNetRegressor

    def make(kind: str = "lq", **overrides):
        if kind == "lq":
            return LQRPPGRegressor(**{**LQ_TINY, "random_state": 0, **overrides})
        return PhysNetRegressor(**{**PHYSNET_TINY, "random_state": 0, **overrides})

    return make
