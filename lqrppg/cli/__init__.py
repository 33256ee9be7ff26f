"""Command line: ``lqrppg demo`` and ``lqrppg predict`` (train and evaluate come with the model)."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lqrppg",
        description="Remote photoplethysmography: heart rate and pulse from facial video.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    demo = sub.add_parser(
        "demo",
        help="run the baselines on built-in synthetic videos, print metrics, save a figure",
        description=(
            "Generate synthetic facial videos with a known pulse, run every unsupervised "
            "baseline, print an HR metrics table and write a figure (waveform, spectrum, "
            "Bland-Altman)."
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
            "SNR-based confidence (high >= 5 dB, medium >= 0 dB, low < 0 dB). "
            "Exit codes: 0 success, 1 no heart rate could be estimated, 2 bad input."
        ),
    )
    predict.add_argument("video", help="video file (any format OpenCV's FFmpeg reads)")
    predict.add_argument(
        "--method",
        choices=["pos", "chrom", "green", "lgi", "pbv", "ica", "omit", "lqrppg"],
        default=None,
        help="pulse extraction (default pos; lqrppg when --model is given)",
    )
    predict.add_argument(
        "--model", metavar="PATH", help="saved LQRPPGRegressor for --method lqrppg"
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
        help="streaming chunk in seconds (30, shortened to keep a chunk of frames within "
        "192 MiB, at least 5)",
    )
    predict.add_argument(
        "--face",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="crop the face (Haar cascade once per second, one median box per chunk, the "
        "frame centre where none is found); --no-face averages the whole frame",
    )
    predict.add_argument(
        "--band",
        nargs=2,
        type=float,
        default=(45.0, 150.0),
        metavar=("LOW", "HIGH"),
        help="heart-rate band in bpm (45 150)",
    )
    predict.add_argument(
        "--fps", type=float, default=None, help="frame rate, where the container has none"
    )
    predict.add_argument("--out", metavar="CSV", help="write time_s, waveform, filtered")
    predict.add_argument(
        "--plot", metavar="PNG", help="write a figure: waveform, spectrum, windowed HR"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lqrppg`` console script."""
    args = _build_parser().parse_args(argv)
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
            fps=args.fps,
            out=args.out,
            plot=args.plot,
        )
    raise AssertionError(f"unhandled command {args.command!r}")  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
