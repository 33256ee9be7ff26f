"""Command line: ``lqrppg demo``, ``predict``, ``live``, ``train``, ``evaluate``, and
``import-model``.

Each command is a thin wrapper of library calls, in its own module: ``add_parser`` declares
its options (the ones several commands share come from ``_common``) and ``run(args)`` runs
it with the parsed options. The exit codes are in ``EXIT_CODES``.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import _demo, _evaluate, _import_model, _live, _predict, _train

__all__ = ["EXIT_CODES", "main"]

#: The command modules, in the order ``lqrppg --help`` lists them.
_COMMANDS = (_demo, _predict, _live, _train, _evaluate, _import_model)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lqrppg",
        description="Remote photoplethysmography: heart rate and pulse from facial video.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"lqrppg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _COMMANDS:
        module.add_parser(sub)
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
        return args.run(args)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
