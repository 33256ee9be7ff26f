"""Command line: ``lqrppg demo``, ``predict``, ``live``, ``train``, ``evaluate``, and
``import-model``.

Each command is a thin wrapper of library calls; the exit codes are in ``EXIT_CODES``.
"""

from __future__ import annotations

import argparse
import os
import sys

from ._common import DATASETS, METHOD_NAMES

__all__ = ["EXIT_CODES", "main"]


def _add_dataset_options(parser: argparse.ArgumentParser) -> None:
    """The options of the commands that read a dataset folder (train, evaluate)."""
    parser.add_argument("--dataset", required=True, choices=list(DATASETS), help="layout")
    parser.add_argument("--path", required=True, help="the dataset's root folder")
    parser.add_argument("--subjects", nargs="+", metavar="ID", help="only these subjects")
    parser.add_argument(
        "--n-jobs", type=int, default=1, help="recordings preprocessed in parallel (1)"
    )
    parser.add_argument("--cache-dir", help="cache of preprocessed clips (none)")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lqrppg",
        description="Remote photoplethysmography: heart rate and pulse from facial video.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"lqrppg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    demo = sub.add_parser(
        "demo",
        help="run the baselines and the shipped LQ-rPPG model on built-in synthetic videos, "
        "print metrics, save a figure",
        description=(
            "Generate synthetic facial videos with a known pulse, run every unsupervised "
            "baseline and the LQ-rPPG weights shipped with the package (trained on synthetic "
            "videos only), print an HR metrics table and write a figure (waveform, spectrum, "
            "Bland-Altman). Exit codes: 0 success, 2 bad input or an unusable output path, 3 "
            "internal error (one line naming the file that holds the traceback)."
        ),
    )
    demo.add_argument("--subjects", type=int, default=12, help="number of subjects (default 12)")
    demo.add_argument("--duration", type=float, default=20.0, help="seconds per video (20)")
    demo.add_argument("--size", type=int, default=64, help="frame height and width (64)")
    demo.add_argument(
        "--label-noise",
        default="mild",
        choices=["none", "mild", "moderate", "severe"],
        help="contact-PPG label noise preset (mild)",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (0)")
    demo.add_argument(
        "--out",
        default="lqrppg-demo",
        help="output folder for the figure and the metrics CSV (./lqrppg-demo)",
    )

    predict = sub.add_parser(
        "predict",
        help="pulse waveform and heart rate of a video file",
        description=(
            "Read a video chunk by chunk (memory bounded by the chunk, not the video), crop "
            "the face, extract the pulse with an unsupervised method or a trained LQ-rPPG "
            "model, and print the heart rate of the whole video and of each window with an "
            "SNR-based confidence (high >= 5 dB, medium >= --min-snr, low below: no reliable "
            "heart rate). A video in which no face is found exits 1 unless --no-face is given. "
            "Exit codes: 0 success, 1 no reliable heart rate (or no face), 2 bad input or "
            "an unusable output path, 3 internal error (one line naming the file that "
            "holds the traceback)."
        ),
    )
    predict.add_argument("video", help="video file (any format OpenCV's FFmpeg reads)")
    predict.add_argument(
        "--method",
        choices=[*METHOD_NAMES, "lqrppg"],
        default=None,
        help="pulse extraction (default lqrppg: the --model given, else the pretrained "
        "weights shipped with the package)",
    )
    predict.add_argument(
        "--model",
        metavar="PATH",
        help="saved LQRPPGRegressor for --method lqrppg (default: the shipped pretrained "
        "weights, trained on synthetic videos; see the model card)",
    )
    predict.add_argument(
        "--window", type=float, default=10.0, metavar="S", help="HR window in seconds (10)"
    )
    predict.add_argument(
        "--step", type=float, default=None, metavar="S", help="HR window step (the window)"
    )
    predict.add_argument(
        "--chunk",
        type=float,
        default=None,
        metavar="S",
        help="streaming chunk in seconds (30; at least one model clip)",
    )
    predict.add_argument(
        "--face",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="crop the face as frames are read (Haar cascade once per second on a 160-px "
        "copy, one median box per chunk, the frame centre in chunks where none is found; no "
        "face in any chunk: exit 1); --no-face averages the whole frame (e.g. a skin close-up)",
    )
    predict.add_argument(
        "--band",
        nargs=2,
        type=float,
        default=(40.0, 180.0),
        metavar=("LOW", "HIGH"),
        help="heart-rate band in bpm (40 180)",
    )
    predict.add_argument(
        "--min-snr",
        type=float,
        default=None,
        metavar="DB",
        help="SNR in dB below which a heart rate is not reliable and not given (default "
        "lqrppg.signal.MIN_SNR; --min-snr=-inf gives every estimate)",
    )
    predict.add_argument(
        "--fps", type=float, default=None, help="frame rate, where the container has none"
    )
    predict.add_argument(
        "--face-index",
        type=int,
        default=None,
        metavar="N",
        help="with several faces in view, follow the N-th from the left (0 the leftmost; "
        "default: the largest)",
    )
    predict.add_argument("--out", metavar="CSV", help="write time_s, waveform, filtered")
    predict.add_argument(
        "--json",
        metavar="PATH",
        help="write the whole result as JSON (HR, SNR, confidence, windows, faces, "
        "warnings, waveform); '-' prints it on stdout instead of the report",
    )
    predict.add_argument(
        "--windows", metavar="CSV", help="write the per-window table (start, end, HR, SNR)"
    )
    predict.add_argument(
        "--plot",
        metavar="PNG",
        help="write a figure: first frame with the face box, waveform, spectrum, windowed HR",
    )
    predict.add_argument(
        "--quiet", action="store_true", help="no progress bar on stderr while reading"
    )

    live = sub.add_parser(
        "live",
        help="heart rate every second from a camera or a file paced at its frame rate",
        description=(
            "Read frames as they come (a camera, or a file; --realtime paces it at its frame "
            "rate), reduce each to the mean colour of the face crop, and print the heart rate "
            "of the last --window seconds every second with its SNR and confidence (no number "
            "below --min-snr or without a face), the respiration rate once 30 s of reliable "
            "signal are in, and the computing latency. Ctrl-C (or the end of the file) prints "
            "a summary. Exit codes: 0 a reliable heart rate was given, 1 none was, 2 bad input, "
            "3 internal error (one line naming the file that holds the traceback)."
        ),
    )
    where = live.add_mutually_exclusive_group(required=True)
    where.add_argument("--camera", type=int, metavar="N", help="camera index (0: the first)")
    where.add_argument("--source", metavar="FILE", help="a video file instead of a camera")
    live.add_argument(
        "--realtime", action="store_true", help="pace --source at its frame rate, as a camera"
    )
    live.add_argument(
        "--method", choices=list(METHOD_NAMES), default="pos", help="unsupervised method (pos)"
    )
    live.add_argument(
        "--window", type=float, default=10.0, metavar="S", help="seconds behind each HR (10)"
    )
    live.add_argument(
        "--face",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="crop the face (--no-face: the whole frame)",
    )
    live.add_argument(
        "--band", nargs=2, type=float, default=(40.0, 180.0), metavar=("LOW", "HIGH"),
        help="heart-rate band in bpm (40 180)",
    )  # fmt: skip
    live.add_argument("--min-snr", type=float, default=None, metavar="DB", help="(0 dB)")
    live.add_argument("--fps", type=float, default=None, help="frame rate, where none is given")
    live.add_argument("--max-seconds", type=float, default=None, help="stop after this long")
    live.add_argument(
        "--json-lines", action="store_true", help="one JSON object per update on stdout"
    )

    train = sub.add_parser(
        "train",
        help="fit an LQ-rPPG model on a video dataset and save it",
        description=(
            "Load a dataset, crop the face of every recording (box from its first frame), "
            "resize, cut into clips, fit LQRPPGRegressor with the subjects as groups (the "
            "best epoch is picked on held-out subjects) and save the model for "
            "'lqrppg predict --model' and 'lqrppg evaluate --model'. Every recording and "
            "clip is accounted for in a printed summary. "
            "Exit codes: 0 success, 1 no clip could be made, 2 bad input or "
            "an unusable output path, 3 internal error (one line naming the file that "
            "holds the traceback)."
        ),
    )
    _add_dataset_options(train)
    train.add_argument("--out", required=True, metavar="MODEL", help="file to save the model to")
    train.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    train.add_argument(
        "--size",
        nargs="+",
        type=int,
        default=[128],
        metavar="N",
        help="face-crop size: N (square) or H W, multiples of 8 (128)",
    )
    train.add_argument("--chunk-length", type=int, default=160, help="frames per clip (160)")
    train.add_argument(
        "--overlap", type=int, default=0, help="frames shared by consecutive clips (0)"
    )
    train.add_argument(
        "--face",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="crop the face (Haar cascade on each recording's first frame); --no-face "
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

    evaluate = sub.add_parser(
        "evaluate",
        help="heart-rate metrics of a saved model and baselines on a video dataset",
        description=(
            "Crop, resize and cut every recording of a dataset into clips that cover it, "
            "predict the pulse with a saved model (clips joined by overlap-add) and/or "
            "unsupervised methods (on the whole recording's face trace), and compare the HR "
            "of each recording (or --window) with the HR of its contact PPG: MAE, RMSE, "
            "MAPE, Pearson r and SNR with standard errors over the estimates given (SNR >= "
            "--min-snr), with the coverage and the error of all estimates. "
            "Exit codes: 0 success, 1 nothing could be scored, 2 bad input or "
            "an unusable output path, 3 internal error (one line naming the file that "
            "holds the traceback)."
        ),
    )
    _add_dataset_options(evaluate)
    evaluate.add_argument(
        "--model",
        metavar="PATH",
        help="model saved by 'lqrppg train' for --method lqrppg (default: the pretrained weights)",
    )
    evaluate.add_argument(
        "--method",
        nargs="+",
        choices=["lqrppg", *METHOD_NAMES],
        default=None,
        help="methods to score, one row each (default lqrppg: --model, else the shipped "
        "pretrained weights)",
    )
    evaluate.add_argument(
        "--size",
        nargs="+",
        type=int,
        default=[128],
        metavar="N",
        help="face-crop size without --model (128); with a model, the model's",
    )
    evaluate.add_argument(
        "--face",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="crop the face (box from each recording's first frame)",
    )
    evaluate.add_argument(
        "--window",
        type=float,
        default=None,
        metavar="S",
        help="score windows of S seconds (default: one HR per recording)",
    )
    evaluate.add_argument(
        "--step", type=float, default=None, metavar="S", help="window step (the window)"
    )
    evaluate.add_argument(
        "--band",
        nargs=2,
        type=float,
        default=(40.0, 180.0),
        metavar=("LOW", "HIGH"),
        help="heart-rate band in bpm (40 180)",
    )
    evaluate.add_argument(
        "--min-snr",
        type=float,
        default=None,
        metavar="DB",
        help="SNR in dB from which an estimate counts as given (default "
        "lqrppg.signal.MIN_SNR); the others are declines, counted against the coverage",
    )
    evaluate.add_argument(
        "--reference",
        choices=["ppg", "device"],
        default="ppg",
        help="reference HR: the contact PPG's (ppg, default) or the dataset's own (device: "
        "UBFC-rPPG ground_truth line 2, PURE pulse rate)",
    )
    evaluate.add_argument("--out", metavar="CSV", help="write the per-recording/window rows")
    evaluate.add_argument("--quiet", action="store_true", help="no progress lines")
    imp = sub.add_parser(
        "import-model",
        help="convert the LQ-rPPG authors' released checkpoints into an lqrppg model file",
        description=(
            "Load one protocol of the LQ-rPPG authors' released models (obtain their "
            "repository yourself: its configs/ and PreTrainedModels/ folders), check every "
            "tensor into lqrppg's port of their network, and save it for 'lqrppg predict "
            "--model' and 'lqrppg evaluate --model', with a model card (OUT with suffix .md: "
            "source, SHA-256 of each file, training data, terms). "
            "Exit codes: 0 success, 2 bad input or "
            "an unusable output path, 3 internal error (one line naming the file that "
            "holds the traceback)."
        ),
    )
    imp.add_argument("directory", help="the authors' repository folder")
    imp.add_argument(
        "--protocol",
        required=True,
        metavar="TRAIN_TEST",
        help="which model, e.g. UBFC_UBFC, PURE_PURE, PURE_UBFC (see the folder's configs/)",
    )
    imp.add_argument("--out", required=True, metavar="MODEL", help="file to write (e.g. ubfc.pt)")
    imp.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    return parser


#: The exit codes of every command (also in each command's --help and the docs).
EXIT_CODES = {
    0: "success",
    1: "no (reliable) estimate could be made",
    2: "bad input or an unusable output path",
    3: "unexpected internal error (a short message; the traceback is written to a file)",
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lqrppg`` console script; returns the exit code (see EXIT_CODES).

    A user error is one line on stderr and exit code 2 (from the command itself). Anything
    else that goes wrong is a bug: one line says what and where the full traceback was
    written (exit code 3); no traceback is printed. Ctrl-C exits with 130.
    """
    args = _build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        print(f"lqrppg {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so briefly, keep the details in a file
        where = _write_traceback(args.command)
        print(
            f"lqrppg {args.command}: internal error: {type(exc).__name__}: {exc}\n"
            f"  the full traceback is in {where}; please report it with that file",
            file=sys.stderr,
        )
        return 3


def _write_traceback(command: str) -> str:
    import tempfile
    import time
    import traceback

    text = traceback.format_exc()
    try:
        fd, path = tempfile.mkstemp(
            prefix=f"lqrppg-{command}-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".txt"
        )
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return path
    except OSError:  # no writable temporary folder: the traceback is all we can give
        print(text, file=sys.stderr)
        return "the lines above"


def _dispatch(args) -> int:
    if args.command == "demo":
        from ._demo import run_demo

        return run_demo(
            n_subjects=args.subjects,
            duration=args.duration,
            size=args.size,
            label_noise=args.label_noise,
            seed=args.seed,
            out=args.out,
        )
    if args.command == "predict":
        from ._predict import run_predict

        return run_predict(
            args.video,
            method=args.method,
            model=args.model,
            window=args.window,
            step=args.step,
            chunk=args.chunk,
            face=args.face,
            band=args.band,
            min_snr=args.min_snr,
            fps=args.fps,
            face_index=args.face_index,
            out=args.out,
            json_out=args.json,
            windows=args.windows,
            plot=args.plot,
            progress=not args.quiet,
        )
    if args.command == "live":
        from ._live import run_live

        return run_live(
            camera=args.camera,
            source=args.source,
            realtime=args.realtime,
            method=args.method,
            window=args.window,
            face=args.face,
            band=args.band,
            min_snr=args.min_snr,
            fps=args.fps,
            max_seconds=args.max_seconds,
            json_lines=args.json_lines,
        )
    if args.command == "train":
        from ._train import run_train

        return run_train(
            args.dataset,
            args.path,
            args.out,
            subjects=args.subjects,
            size=args.size,
            chunk_length=args.chunk_length,
            overlap=args.overlap,
            face=args.face,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            dim=args.dim,
            quantizer_epochs=args.quantizer_epochs,
            use_label_quantization=args.label_quantization,
            augment=args.augment,
            validation_fraction=args.validation_fraction,
            patience=args.patience,
            device=args.device,
            threads=args.threads,
            seed=args.seed,
            n_jobs=args.n_jobs,
            cache_dir=args.cache_dir,
            summary=args.summary,
            overwrite=args.overwrite,
            verbose=0 if args.quiet else 1,
        )
    if args.command == "evaluate":
        from ._evaluate import run_evaluate

        return run_evaluate(
            args.dataset,
            args.path,
            model=args.model,
            methods=args.method,
            subjects=args.subjects,
            size=args.size,
            face=args.face,
            window=args.window,
            step=args.step,
            band=args.band,
            min_snr=args.min_snr,
            reference=args.reference,
            n_jobs=args.n_jobs,
            cache_dir=args.cache_dir,
            out=args.out,
            verbose=0 if args.quiet else 1,
        )
    if args.command == "import-model":
        from ._import_model import run_import_model

        return run_import_model(args.directory, args.protocol, args.out, overwrite=args.overwrite)
    raise AssertionError(f"unhandled command {args.command!r}")  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
