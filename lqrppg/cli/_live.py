"""``lqrppg live``: heart rate every second from a camera or a file paced at its frame rate.

A thin wrapper of :func:`lqrppg.pipeline.live_updates`: one line per update (or one JSON
object per line with ``--json-lines``), and a summary at the end of the source or on
Ctrl-C. Memory is bounded by 30 s of mean colours, whatever the running time.

Exit codes: 0 at least one reliable heart rate was given; 1 none was; 2 bad arguments or a
source that cannot be opened.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from ._common import (
    METHOD_NAMES,
    InputError,
    add_band,
    add_command,
    add_face,
    add_min_snr,
    check_min_snr,
    command,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """The ``live`` command's parser, run by :func:`run`."""
    live = add_command(
        subparsers,
        "live",
        run,
        help="heart rate every second from a camera or a file paced at its frame rate",
        description=(
            "Read frames as they come (a camera, or a file; --realtime paces it at its "
            "frame rate), reduce each to the mean colour of the face crop, and print the "
            "heart rate of the last --window seconds every second with its SNR and "
            "confidence (no number below --min-snr or without a face), the respiration rate "
            "once 30 s of reliable signal are in, and the computing latency. Ctrl-C (or the "
            "end of the file) prints a summary."
        ),
        exit_0="a reliable heart rate was given",
        exit_1="none was",
        exit_2="bad input",
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
    add_face(live, "crop the face (--no-face: the whole frame)")
    add_band(live)
    add_min_snr(live, "(0 dB)")
    live.add_argument("--fps", type=float, default=None, help="frame rate, where none is given")
    live.add_argument("--max-seconds", type=float, default=None, help="stop after this long")
    live.add_argument(
        "--json-lines", action="store_true", help="one JSON object per update on stdout"
    )
    return live


def _run(args: argparse.Namespace) -> int:
    """Run the live monitor; returns the exit code (see the module notes)."""
    from ..pipeline import live_updates

    camera, source, window, json_lines = args.camera, args.source, args.window, args.json_lines
    if (camera is None) == (source is None):
        raise InputError("give one source: --camera N or --source FILE")
    if args.realtime and source is None:
        raise InputError("--realtime paces a file source (--source); a camera is live")
    min_snr = check_min_snr(args.min_snr, "-inf: every estimate")
    out = sys.stdout
    updates = []
    what = f"camera {camera}" if source is None else source
    if not json_lines:
        print(
            f"lqrppg live: {what}, method {args.method.upper()}, {window:g} s windows, an update "
            "every second (each describes the window ending then: centred "
            f"{window / 2:g} s earlier); Ctrl-C to stop",
            file=out,
            flush=True,
        )
    try:
        stream = live_updates(
            camera if source is None else source,
            method=args.method, fps=args.fps, realtime=args.realtime, window=window,
            face=args.face, band=args.band, min_snr=min_snr, max_seconds=args.max_seconds,
        )  # fmt: skip
        for update in stream:
            updates.append(update)
            if json_lines:
                print(json.dumps(update.to_dict()), file=out, flush=True)
            else:
                print(_line(update), file=out, flush=True)
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(str(exc)) from None
    except KeyboardInterrupt:
        pass
    _summary(updates, out, json_lines)
    return 0 if any(np.isfinite(u.hr_bpm) for u in updates) else 1


def _line(u) -> str:
    if np.isfinite(u.hr_bpm):
        text = f"{u.time_s:7.1f} s  HR {u.hr_bpm:5.1f} bpm  SNR {u.snr_db:5.1f} dB  {u.confidence}"
    else:
        text = f"{u.time_s:7.1f} s  no reliable heart rate ({u.reason})"
    if np.isfinite(u.respiration_bpm):
        text += f"  respiration {u.respiration_bpm:.1f}/min"
    text += f"  [{1000 * u.latency_s:.0f} ms]"
    if u.behind_s > 0.5:  # the computing does not keep up with the frame rate: said
        text += f"  (reading {u.behind_s:.1f} s behind real time)"
    return text


def _summary(updates, out, json_lines: bool) -> None:
    hrs = np.array([u.hr_bpm for u in updates], dtype=float)
    given = np.isfinite(hrs)
    latency = np.array([u.latency_s for u in updates], dtype=float)
    summary = {
        "updates": len(updates),
        "with_hr": int(given.sum()),
        "median_hr_bpm": float(np.median(hrs[given])) if given.any() else None,
        "median_latency_ms": float(1000 * np.median(latency)) if len(updates) else None,
        "frames": updates[-1].frames if updates else 0,
        "max_behind_s": max((u.behind_s for u in updates), default=0.0),
    }
    if json_lines:
        print(json.dumps({"summary": summary}), file=out, flush=True)
        return
    hr = "none" if summary["median_hr_bpm"] is None else f"{summary['median_hr_bpm']:.1f} bpm"
    lat = "-" if summary["median_latency_ms"] is None else f"{summary['median_latency_ms']:.0f} ms"
    print(
        f"summary: {summary['updates']} updates, {summary['with_hr']} with a reliable heart "
        f"rate; median HR {hr}; median computing latency {lat}; {summary['frames']} frames, "
        f"at most {summary['max_behind_s']:.2f} s behind real time (no frame dropped)",
        file=out,
        flush=True,
    )


run = command("live", _run)
