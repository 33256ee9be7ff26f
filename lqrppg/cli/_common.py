"""What the commands share: input errors, messages, output paths, bands and datasets."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = [
    "DATASETS",
    "METHOD_NAMES",
    "InputError",
    "check_band_bpm",
    "check_output",
    "load_dataset",
    "parse_size",
    "print_error",
    "print_warning",
]

#: Dataset names on the command line -> loader names in :mod:`lqrppg.datasets`.
DATASETS = {
    "ubfc-rppg": "load_ubfc_rppg",
    "pure": "load_pure",
    "cohface": "load_cohface",
    "mmpd": "load_mmpd",
}


#: Unsupervised methods by their command-line name (``lqrppg``, the model, comes on top).
METHOD_NAMES = ("pos", "chrom", "green", "lgi", "pbv", "ica", "omit", "auto")


class InputError(Exception):
    """A problem with the arguments or the input: message and exit code 2, no traceback."""


def print_error(command: str, message: str) -> None:
    print(f"lqrppg {command}: error: {message}", file=sys.stderr)


def print_warning(command: str, message: str) -> None:
    print(f"lqrppg {command}: warning: {message}", file=sys.stderr)


def check_output(path, option: str, *, overwrite: bool = True) -> Path | None:
    """The path of an output file that can be written (checked before any long work).

    Its folder must exist and accept a new file (a file is created there and removed), it
    must not be a folder, and without ``overwrite`` it must not exist yet. Outputs are then
    written with :func:`lqrppg._files.atomic_write`, so a failed run leaves the old file.
    """
    if path is None:
        return None
    from .._files import check_writable

    p = Path(path)
    if not overwrite and p.exists():
        raise InputError(f"{option}: {str(p)!r} exists; pass --overwrite to replace it")
    if not p.parent.is_dir():
        raise InputError(f"{option}: folder {str(p.parent)!r} does not exist")
    if p.is_dir():
        raise InputError(f"{option}: {str(p)!r} is a folder; expected a file name")
    try:
        return check_writable(p)
    except OSError as exc:
        raise InputError(f"{option}: {exc}") from None


def check_band_bpm(band, fps: float) -> tuple[float, float]:
    """A heart-rate band given in beats per minute -> (low, high) in Hz, checked.

    :func:`lqrppg.pipeline.check_band_bpm` with the option's name in its messages.
    """
    from ..pipeline._video import check_band_bpm as check

    try:
        return check(band, fps, name="--band")
    except ValueError as exc:
        raise InputError(str(exc)) from None


def load_dataset(name: str, path, subjects=None):
    """The loader's Bunch of dataset ``name`` at ``path``; loader errors are input errors."""
    from .. import datasets

    if name not in DATASETS:  # argparse's choices make this unreachable from the shell
        raise InputError(f"--dataset must be one of {sorted(DATASETS)}; got {name!r}")
    loader = getattr(datasets, DATASETS[name])
    try:
        return loader(path, subjects=subjects)
    except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
        raise InputError(f"cannot load {name} from {str(path)!r}: {exc}") from None


def parse_size(size) -> tuple[int, int]:
    """``--size``: one value (square) or height and width, multiples of 8 for the model."""
    values = [int(v) for v in size]
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or min(values) < 8 or any(v % 8 for v in values):
        raise InputError(
            "--size takes one or two multiples of 8 of at least 8 (frame height and width "
            f"for the model's stem); got {' '.join(str(v) for v in size)}"
        )
    return values[0], values[1]
