"""Shared test fixtures.

Real recordings live in ``../shared/data`` beside the repository (CI always has them).
``LQRPPG_SHARED_DATA`` overrides the location. Tests that need them skip, saying why,
in a clone without them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Return the directory of the shared real recordings (may not exist)."""
    env = os.environ.get("LQRPPG_SHARED_DATA")
    if env:
        return Path(env)
    return _REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data``; skips the test when the recordings are absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(
            f"real recordings not found at {path} (set LQRPPG_SHARED_DATA to the "
            "shared/data folder to run this test)"
        )
    return path


def authors_release_dir() -> Path:
    """The LQ-rPPG authors' released checkpoints and references (may not exist)."""
    env = os.environ.get("LQRPPG_AUTHORS_RELEASE")
    if env:
        return Path(env)
    return _REPO.parent / "shared" / "lq_rppg_authors"


@pytest.fixture(scope="session")
def authors_release() -> Path:
    """Path to ``../shared/lq_rppg_authors``; skips the test when it is absent."""
    path = authors_release_dir()
    if not (path / "configs").is_dir():
        pytest.skip(
            f"the LQ-rPPG authors' release was not found at {path} (set "
            "LQRPPG_AUTHORS_RELEASE to a folder with their configs/ and PreTrainedModels/, "
            "and the reference outputs, to run this test)"
        )
    return path
