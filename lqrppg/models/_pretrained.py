"""Pretrained LQ-rPPG weights shipped inside the package.

The files live in ``lqrppg/models/weights/`` next to their model card (``MODEL_CARD.md``);
``benchmarks/train_pretrained.py`` makes both from a seed. Nothing is downloaded.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["PRETRAINED", "pretrained_path"]

#: Shipped weights by name: file in ``lqrppg/models/weights`` and a one-line description.
PRETRAINED = {
    "synthetic-32": {
        "file": "lqrppg_synthetic_32px.pt",
        "description": (
            "LQRPPGRegressor (dim 64) trained on synthetic face videos at 32x32 pixels, "
            "160-frame clips at 30 fps; see MODEL_CARD.md"
        ),
    },
}


def pretrained_path(name: str = "synthetic-32") -> Path:
    """Path of the shipped weights ``name`` (see :data:`PRETRAINED`).

    Parameters
    ----------
    name : str, default="synthetic-32"

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        If ``name`` is not a shipped model.
    FileNotFoundError
        If the file is missing from this installation (a build that left out the package
        data).

    Examples
    --------
    >>> from lqrppg.models import pretrained_path
    >>> pretrained_path().name
    'lqrppg_synthetic_32px.pt'
    """
    if name not in PRETRAINED:
        raise ValueError(f"unknown pretrained model {name!r}; available: {sorted(PRETRAINED)}")
    ref = resources.files("lqrppg.models").joinpath("weights", PRETRAINED[name]["file"])
    path = Path(str(ref))
    if not path.is_file():
        raise FileNotFoundError(
            f"the pretrained weights {name!r} are missing from this installation (expected "
            f"{path}); reinstall lqrppg, or make them with benchmarks/train_pretrained.py"
        )
    return path
