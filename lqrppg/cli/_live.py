"""``lqrppg live``: heart rate every second from a camera or a file paced at its frame rate.

A thin wrapper of :func:`lqrppg.pipeline.live_updates`: one line per update (or one JSON
object per line with ``--json-lines``), and a summary at the end of the source or on
Ctrl-C. Memory is bounded by 30 s of mean colours, whatever the running time.

Exit codes: 0 at least one reliable heart rate was given; 1 none was; 2 bad arguments or a
source that cannot be opened.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from ._common import InputError, print_error

__all__ = ["run_live"]


def run_live(
    *,
    camera: int | None = None,
    source: str | None = None,
    realtime: bool = False,
    method: str = "pos",
    window: float = 10.0,
    face: bool = True,
    band=(40.0, 180.0),
    min_snr: float | None = None,
    fps: float | None = None,
    max_seconds: float | None = None,
    json_lines: bool = False,
) -> int:
    """Run the live monitor; returns the exit code (see the module notes)."""
    from ..pipeline import live_updates
    from ..signal import MIN_SNR

    if (camera is None) == (source is None):
        print_error("live", "give one source: --camera N or --source FILE")
        return 2
    if realtime and source is None:
        print_error("live", "--realtime paces a file source (--source); a camera is live")
        return 2
    out = sys.stdout
    updates = []
    what = f"camera {camera}" if source is None else source
    if not json_lines:
        print(
            f"lqrppg live: {what}, method {method.upper()}, {window:g} s windows, an update "
            "every second (each describes the window ending then: centred "
            f"{window / 2:g} s earlier); Ctrl-C to stop",
            file=out,
            flush=True,
        )
    try:
        stream = live_updates(
            camera if source is None else source,
            method=method, fps=fps, realtime=realtime, window=window, face=face, band=band,
            min_snr=MIN_SNR if min_snr is None else float(min_snr), max_seconds=max_seconds,
        )  # fmt: skip
        for update in stream:
            updates.append(update)
            if json_lines:
                print(json.dumps(update.to_dict()), file=out, flush=True)
            else:
                print(_line(update), file=out, flush=True)
    except (FileNotFoundError, ValueError) as exc:
        if not updates:
            print_error("live", str(exc))
            return 2
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
