"""``lqrppg train``: fit an LQ-rPPG model on a video dataset and save it.

The dataset is read by its loader (:mod:`lqrppg.datasets`), every recording is face-cropped,
resized and cut into clips of ``--chunk-length`` frames by
:func:`lqrppg.datasets.preprocess_dataset` (in parallel with ``--n-jobs``, cached with
``--cache-dir``), and :class:`lqrppg.LQRPPGRegressor` is fitted on the clips with the
subjects as groups, so that the validation clips that pick the best epoch come from
subjects the model does not train on. The fitted model is written with
:meth:`~lqrppg.LQRPPGRegressor.save` and can be used by ``lqrppg predict --model`` and
``lqrppg evaluate --model``.

Choices made here, and why
--------------------------
Frames
    Face box from each recording's first frame (Haar cascade, enlarged 1.5 times; a
    recording with no face found is skipped and reported), resized to ``--size`` with
    ``INTER_AREA``, kept as uint8: the model standardises every clip itself, the same way
    at training and at prediction time, and uint8 clips take a quarter of float32's memory
    (the whole training set is held in memory: about 2.4 GB for 42 one-minute recordings at
    128 x 128).
Labels
    The contact PPG resampled to the frame times by the loader, as read; the model
    standardises each clip's label.
Frame rate
    The model's ``fs`` (its heart-rate band and frequency loss) is the dataset's nominal
    frame rate; a warning names recordings read at a rate more than 2 % away from it.
Accounting
    The preprocessing summary (recordings and clips made, skipped and why) is printed before
    training and can be written with ``--summary CSV``; nothing is dropped without a line
    in it.

Output files are checked for writability before any work and written atomically; if the
model cannot be written at the end after all (the target became unwritable during
training), it is saved beside the working directory and the message says where (exit 2).

Exit codes: 0 success; 1 no clip could be made from the dataset; 2 bad arguments or input
(or the model had to be saved elsewhere); 3 an internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
import warnings
from pathlib import Path

import numpy as np

from .._files import atomic_write, check_writable
from ._common import (
    InputError,
    add_command,
    add_dataset_options,
    add_face,
    add_model_out,
    add_size,
    check_output,
    load_dataset,
    parse_size,
    print_error,
    print_preprocessing,
    print_warning,
)

__all__ = ["add_parser", "run"]

_FPS_TOLERANCE = 0.02


def _err(message: str) -> None:
    print_error("train", message)


def _warn(message: str) -> None:
    print_warning("train", message)


def _rescue_path(target: Path) -> Path:
    """A new file beside the working directory (else in the temporary folder) for a model."""
    import tempfile

    name = f"{target.stem}-rescued-{time.strftime('%Y%m%d-%H%M%S')}{target.suffix or '.pt'}"
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        try:
            return check_writable(folder / name)
        except OSError:
            continue
    raise OSError(f"no folder to save the trained model to ({name})")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """The ``train`` command's parser, run by :func:`run`."""
    train = add_command(
        subparsers,
        "train",
        run,
        help="fit an LQ-rPPG model on a video dataset and save it",
        description=(
            "Load a dataset, crop the face of every recording (box from its first frame), "
            "resize, cut into clips, fit LQRPPGRegressor with the subjects as groups (the "
            "best epoch is picked on held-out subjects) and save the model for 'lqrppg "
            "predict --model' and 'lqrppg evaluate --model'. Every recording and clip is "
            "accounted for in a printed summary."
        ),
        exit_1="no clip could be made",
    )
    add_dataset_options(train)
    add_model_out(train, "file to save the model to")
    add_size(train, "face-crop size: N (square) or H W, multiples of 8 (128)")
    train.add_argument("--chunk-length", type=int, default=160, help="frames per clip (160)")
    train.add_argument(
        "--overlap", type=int, default=0, help="frames shared by consecutive clips (0)"
    )
    add_face(
        train,
        "crop the face (Haar cascade on each recording's first frame); --no-face "
        "resizes the whole frame",
    )
    train.add_argument("--epochs", type=int, default=50, help="training epochs (50)")
    train.add_argument("--batch-size", type=int, default=16, help="clips per batch (16)")
    train.add_argument("--lr", type=float, default=3e-4, help="peak learning rate (3e-4)")
    train.add_argument("--dim", type=int, default=64, help="token width of the model (64)")
    train.add_argument(
        "--quantizer-epochs", type=int, default=30, help="label-quantizer epochs per level (30)"
    )
    train.add_argument(
        "--label-quantization",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="train on quantized pseudo labels (--no-label-quantization: the ablation, "
        "raw standardised labels)",
    )
    train.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="temporal resampling and flip augmentation",
    )
    train.add_argument(
        "--validation-fraction",
        type=float,
        default=0.2,
        help="fraction of the subjects held out to pick the best epoch (0.2)",
    )
    train.add_argument(
        "--patience", type=int, default=10, help="epochs without improvement before stopping"
    )
    train.add_argument("--device", default="auto", help="torch device: auto, cpu, cuda (auto)")
    train.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    train.add_argument("--seed", type=int, default=0, help="random seed (0)")
    train.add_argument("--summary", metavar="CSV", help="write the preprocessing summary")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    return train


def run(args: argparse.Namespace) -> int:
    """Fit LQRPPGRegressor on a dataset and save it; print what was used and the result.

    ``args`` are the parsed options (``lqrppg train --help``). Returns the process exit
    code (0, 1 or 2, see the module notes).
    """
    from .._training import distributed_from_env

    with distributed_from_env() as (rank, world):
        # under torchrun every process trains its share; only process 0 prints and writes
        quiet = open(os.devnull, "w") if rank else None
        with contextlib.redirect_stdout(quiet) if quiet else contextlib.nullcontext():
            try:
                return _run(args, rank=rank, world=world)
            except InputError as exc:
                _err(str(exc))
                return 2
            finally:
                if quiet:
                    quiet.close()


def _check(args: argparse.Namespace) -> None:
    """The clip options, checked before any work."""
    if args.chunk_length < 16:
        raise InputError(f"--chunk-length must be at least 16 frames; got {args.chunk_length}")
    if not 0 <= args.overlap < args.chunk_length:
        raise InputError(
            f"--overlap must be in [0, --chunk-length) = [0, {args.chunk_length}); got "
            f"{args.overlap}"
        )
    if args.n_jobs == 0:
        raise InputError("--n-jobs must not be 0 (1: one process, -1: all cores)")


def _warn_rates(summary, fs: float) -> None:
    """Name the recordings read at a frame rate more than 2 % away from the model's."""
    rates = summary["fps"].to_numpy(dtype=float)
    off = np.abs(rates - fs) > _FPS_TOLERANCE * fs
    if off.any():
        names = summary.loc[off, "recording"].tolist()
        _warn(
            f"{len(names)} recordings were read at a frame rate more than 2 % away from the "
            f"dataset's {fs:g} fps the model is trained at: "
            + ", ".join(f"{n} ({r:g} fps)" for n, r in zip(names[:5], rates[off][:5], strict=False))
        )


def _save(model, out_path: Path) -> bool:
    """Save the trained model to ``out_path``, else beside the working directory (False)."""
    try:
        model.save(out_path)
    except OSError as exc:
        # --out was writable when checked; it is not now: never lose the trained model
        rescue = _rescue_path(out_path)
        model.save(rescue)
        _err(
            f"cannot write the model to {str(out_path)!r} ({exc}); it was saved to "
            f"{str(rescue.resolve())!r} instead"
        )
        return False
    return True


def _run(args: argparse.Namespace, rank: int = 0, world: int = 1) -> int:
    t0 = time.perf_counter()
    out_path = check_output(args.out, "--out", overwrite=args.overwrite)
    verbose = 0 if args.quiet or rank else 1
    chunk_length, overlap, cache_dir = args.chunk_length, args.overlap, args.cache_dir
    summary_path = check_output(args.summary, "--summary")
    hw = parse_size(args.size)
    _check(args)

    from ..datasets import preprocess_dataset
    from ..models import LQRPPGRegressor

    # The estimator checks its own parameters; do it before the long preprocessing.
    model = LQRPPGRegressor(
        chunk_length=chunk_length,
        dim=args.dim,
        quantizer_epochs=args.quantizer_epochs,
        use_label_quantization=args.label_quantization,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        augment=args.augment,
        validation_fraction=args.validation_fraction,
        patience=args.patience,
        device=args.device,
        num_threads=args.threads,
        random_state=args.seed,
        verbose=verbose,
    )
    try:
        model._check_params()
    except ValueError as exc:
        raise InputError(str(exc)) from None

    data = load_dataset(args.dataset, args.path, args.subjects)
    print(
        f"{data.name}: {len(data.recordings)} recordings of {len(data.subjects)} subjects "
        f"from {data.path}"
    )
    if world > 1 and cache_dir is not None and rank:
        import torch.distributed

        torch.distributed.barrier()  # process 0 fills the cache first; the others read it
    with warnings.catch_warnings():
        # Every skipped recording is printed from the summary below.
        warnings.filterwarnings("ignore", message="preprocess_dataset:", category=UserWarning)
        try:
            prep = preprocess_dataset(
                data,
                chunk_length=chunk_length,
                overlap=overlap,
                face_cropper="default" if args.face else None,
                size=hw,
                normalize=None,
                label_normalize=None,
                cache_dir=cache_dir,
                n_jobs=args.n_jobs,
                progress=verbose > 0,
            )
        except ValueError as exc:
            raise InputError(str(exc)) from None
        finally:
            if world > 1 and cache_dir is not None and not rank:
                import torch.distributed

                torch.distributed.barrier()
    if not rank:
        print_preprocessing(prep.summary, "train")
    if summary_path is not None and not rank:
        with atomic_write(summary_path) as tmp:
            prep.summary.to_csv(tmp, index=False)
        print(f"preprocessing summary: {summary_path.resolve()}")
    if len(prep.X) == 0:
        if not rank:
            _err("no clip could be made from the dataset (see the summary above); nothing to train")
        return 1

    fs = float(data.fs)
    if not rank:
        _warn_rates(prep.summary, fs)
    model.set_params(fs=fs)
    n_subjects = len(np.unique(prep.groups))
    print(
        f"training LQRPPGRegressor on {len(prep.X)} clips of {chunk_length} frames at "
        f"{hw[0]}x{hw[1]} from {n_subjects} subjects ({fs:g} fps; validation: "
        f"{args.validation_fraction:g} of the subjects; seed {args.seed})"
    )
    try:
        model.fit(prep.X, prep.y, groups=prep.groups)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if rank:
        return 0
    if not _save(model, out_path):
        return 2

    hist = model.history_
    best = model.best_epoch_
    val = hist[best - 1].get("val_hr_mae")  # best_epoch_ is 1-based
    val_text = "" if val is None or not np.isfinite(val) else f", validation HR MAE {val:.2f} bpm"
    print(
        f"best epoch {best} of {len(hist)}{val_text}\nmodel: {out_path.resolve()}\n"
        f"done in {time.perf_counter() - t0:.1f} s"
    )
    return 0
