"""What the commands share: their common options, input errors, messages, output paths,
bands, models and datasets.

Each command's module (``_demo``, ``_predict``, ...) declares its own parser with
``add_parser(subparsers)`` and runs with ``run(args)``; the options several commands take are
declared once here (``add_*``). This module and the command modules import nothing heavy at
the top, so that building the parser (``lqrppg --help``) stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .._methods import BASELINES

__all__ = [
    "DATASETS",
    "METHOD_NAMES",
    "InputError",
    "add_band",
    "add_command",
    "add_dataset_options",
    "add_face",
    "add_min_snr",
    "add_model_out",
    "add_size",
    "check_band_bpm",
    "check_min_snr",
    "check_output",
    "check_seconds",
    "command",
    "load_dataset",
    "load_model",
    "parse_size",
    "print_error",
    "print_preprocessing",
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
METHOD_NAMES = tuple(BASELINES)


class InputError(Exception):
    """A problem with the arguments or the input: message and exit code 2, no traceback."""


def command(name: str, run):
    """``run(args)`` as a command: an :class:`InputError` is one line on stderr and exit 2."""

    def wrapped(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except InputError as exc:
            print_error(name, str(exc))
            return 2

    wrapped.__name__ = wrapped.__qualname__ = f"run_{name.replace('-', '_')}"
    wrapped.__doc__ = run.__doc__
    return wrapped


def add_command(
    subparsers,
    name: str,
    run,
    *,
    help: str,
    description: str,
    exit_0: str = "success",
    exit_1: str | None = None,
    exit_2: str = "bad input or an unusable output path",
) -> argparse.ArgumentParser:
    """The parser of command ``name``, run by ``run(args)``; its description ends with its
    exit codes (1 only where the command has it; 3 is always an internal error)."""
    codes = [f"0 {exit_0}", *([f"1 {exit_1}"] if exit_1 else []), f"2 {exit_2}"]
    codes.append("3 internal error (one line naming the file that holds the traceback)")
    parser = subparsers.add_parser(
        name, help=help, description=f"{description} Exit codes: {', '.join(codes)}."
    )
    parser.set_defaults(run=run)
    return parser


# -- options several commands take ----------------------------------------------------------
def add_dataset_options(parser: argparse.ArgumentParser) -> None:
    """The options of the commands that read a dataset folder (train, evaluate)."""
    parser.add_argument("--dataset", required=True, choices=list(DATASETS), help="layout")
    parser.add_argument("--path", required=True, help="the dataset's root folder")
    parser.add_argument("--subjects", nargs="+", metavar="ID", help="only these subjects")
    parser.add_argument(
        "--n-jobs", type=int, default=1, help="recordings preprocessed in parallel (1)"
    )
    parser.add_argument("--cache-dir", help="cache of preprocessed clips (none)")


def add_band(parser: argparse.ArgumentParser) -> None:
    """``--band LOW HIGH`` in bpm (checked with :func:`check_band_bpm`)."""
    parser.add_argument(
        "--band",
        nargs=2,
        type=float,
        default=(40.0, 180.0),
        metavar=("LOW", "HIGH"),
        help="heart-rate band in bpm (40 180)",
    )


def add_min_snr(parser: argparse.ArgumentParser, help: str) -> None:
    """``--min-snr DB`` (None: :data:`lqrppg.signal.MIN_SNR`; see :func:`check_min_snr`)."""
    parser.add_argument("--min-snr", type=float, default=None, metavar="DB", help=help)


def add_face(parser: argparse.ArgumentParser, help: str) -> None:
    """``--face`` / ``--no-face`` (default: crop the face)."""
    parser.add_argument("--face", action=argparse.BooleanOptionalAction, default=True, help=help)


def add_model_out(parser: argparse.ArgumentParser, help: str) -> None:
    """``--out MODEL`` (required) and ``--overwrite``: the model file a command writes, checked
    with ``check_output(args.out, "--out", overwrite=args.overwrite)``."""
    parser.add_argument("--out", required=True, metavar="MODEL", help=help)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")


def add_size(parser: argparse.ArgumentParser, help: str) -> None:
    """``--size N`` or ``--size H W`` (checked with :func:`parse_size`)."""
    parser.add_argument("--size", nargs="+", type=int, default=[128], metavar="N", help=help)


# -- checks of the values -------------------------------------------------------------------
def check_seconds(**values: float | None) -> None:
    """Each given value (option name with ``_`` for ``-``) is a positive number of seconds.

    The rule is the library's (``lqrppg.pipeline._video._check_seconds``, which
    :func:`lqrppg.predict_video` and :func:`lqrppg.live_hr` apply); the message is the
    option's, with the value as given on the command line.
    """
    from ..pipeline._video import _check_seconds

    for name, value in values.items():
        option = "--" + name.replace("_", "-")
        try:
            if value is not None:
                _check_seconds(value, option)
        except ValueError:
            raise InputError(
                f"{option} must be a positive number of seconds; got {value:g}"
            ) from None


def check_min_snr(min_snr: float | None, hint: str) -> float:
    """``--min-snr``: :data:`lqrppg.signal.MIN_SNR` when not given; NaN is refused.

    The rule is the library's (``lqrppg.signal._hr.check_min_snr``, which
    :func:`lqrppg.predict_video`, :func:`lqrppg.pipeline.live_updates` and
    :meth:`lqrppg.signal.HREstimate.reliable` apply); ``hint`` says in the message what
    ``-inf`` does for the command.
    """
    from ..signal import MIN_SNR
    from ..signal._hr import check_min_snr as library_rule

    if min_snr is None:
        return float(MIN_SNR)
    try:
        return library_rule(min_snr, "--min-snr")
    except ValueError:
        raise InputError(f"--min-snr must be a number of dB ({hint})") from None


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


def load_model(path):
    """A saved model (or the shipped weights when ``path`` is None), as input errors.

    Returns (model, clip frames, (height, width), description).
    """
    from ..pipeline import load_model as load

    try:
        model, what = load(path)
    except ImportError:
        raise InputError(
            "the lqrppg model is not available in this build (lqrppg.models.LQRPPGRegressor "
            "cannot be imported); use --method pos or another unsupervised method"
        ) from None
    except (FileNotFoundError, ValueError) as exc:
        if path is None:
            raise InputError(
                f"cannot load the pretrained LQ-rPPG weights: {exc}; pass --model PATH or "
                "use --method pos"
            ) from None
        if isinstance(exc, FileNotFoundError):
            raise InputError(str(exc)) from None
        raise InputError(f"cannot load an lqrppg model from {str(path)!r}: {exc}") from None
    except Exception as exc:  # any failure to load is a problem with the user's file
        if path is None:
            raise
        raise InputError(f"cannot load an lqrppg model from {str(path)!r}: {exc}") from None
    n_t, (height, width) = model.n_frames_, model.frame_shape_
    return model, int(n_t), (int(height), int(width)), what


def print_preprocessing(summary, command: str) -> None:
    """Print the accounting of a :func:`preprocess_dataset` summary: made, skipped, why."""
    n_rec = len(summary)
    by_status = summary["status"].value_counts()
    made = int(summary["n_clips_made"].sum())
    skipped = int(summary["n_clips_skipped"].fillna(0).sum())
    dropped = int(summary["n_frames_dropped"].fillna(0).sum())
    print(
        f"preprocessing: {n_rec} recordings ({int(by_status.get('ok', 0))} ok, "
        f"{int(by_status.get('partial', 0))} partial, {int(by_status.get('skipped', 0))} "
        f"skipped); {made} clips made, {skipped} skipped; {dropped} frames after the last "
        f"clip of a recording left out; {int(summary['from_cache'].sum())} recordings read "
        "from the cache"
    )
    for row in summary[summary["status"] != "ok"].itertuples():
        print_warning(command, f"{row.recording}: {row.status}: {row.reason}")
