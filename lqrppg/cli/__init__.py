"""Command line: ``lqrppg demo`` (more commands arrive with the model and video front end)."""

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
    raise AssertionError(f"unhandled command {args.command!r}")  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
