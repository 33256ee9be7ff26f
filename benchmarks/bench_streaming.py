"""Time and peak memory of ``lqrppg predict`` on long 640x480 videos (streaming).

One 60 s synthetic face video (``make_synthetic_rppg``, one subject, 30 fps) is rendered at
320x240, and its frames, upscaled to 640x480 (bilinear), are written forwards and backwards
in turn (ping-pong: the scene and the pulse rate stay continuous) into Motion-JPEG ``.avi``
files of each length, with one OpenCV ``VideoWriter`` kept open; rendering 10 minutes at
640x480 directly would need tens of GB. Then ``lqrppg predict --method pos`` runs on each
file in a child process; wall time, CPU time (``os.wait4``) and the child's own peak resident
memory are recorded. The peak is the child's ``VmHWM`` from ``/proc/self/status``, read as
it exits (Linux): ``ru_maxrss`` of a child counts the parent's memory too when the child is
started by ``vfork``, as ``subprocess`` does. Memory should be set by the chunk, not by the
length of the video.

Run: ``python benchmarks/bench_streaming.py [--minutes 2 10] [--segment 60]``. The videos go
to a temporary folder (removed afterwards unless ``--keep DIR``). Writes
docs/benchmarks/streaming.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import write_results

from lqrppg.datasets import make_synthetic_rppg

FPS = 30.0
HEIGHT, WIDTH = 480, 640
RENDER_SIZE = (240, 320)  # (height, width) rendered, upscaled x2 when written
_PEAK = "print(next(line for line in open('/proc/self/status') if line.startswith('VmHWM')))"
_RUN_CLI = (
    "import sys\nfrom lqrppg.cli import main\ntry:\n    code = main(sys.argv[1:])\n"
    f"finally:\n    {_PEAK}\nsys.exit(code)"
)
_IMPORT_ONLY = f"import cv2, lqrppg.cli._predict\n{_PEAK}"


def render_segment(seconds: float, seed: int):
    data = make_synthetic_rppg(
        n_subjects=1,
        duration=seconds,
        fs=FPS,
        frame_size=RENDER_SIZE,
        label_noise="none",
        random_state=seed,
    )
    return data.videos[0], float(data.hr[0])


def write_pingpong(path: Path, segment: np.ndarray, n_frames: int) -> float:
    """Write ``n_frames`` frames of ``segment``, upscaled, forwards, backwards, forwards..."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write MJPG to {path}")
    t0 = time.perf_counter()
    period = 2 * (len(segment) - 1)
    try:
        for i in range(n_frames):
            k = i % period
            frame = segment[k if k < len(segment) else period - k]
            big = cv2.resize(frame, (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR)
            writer.write(cv2.cvtColor(big, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return time.perf_counter() - t0


def run_child(args: list[str], log: Path) -> dict:
    """Run ``python -c ...`` with ``args``; wall time, CPU time and the child's peak RSS."""
    with open(log, "w") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], stdout=fh, stderr=subprocess.STDOUT)
        # wait4: this child's CPU time alone (RUSAGE_CHILDREN sums over every child so far).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text()
    if proc.returncode != 0:
        raise RuntimeError(f"{args} exited with {proc.returncode}:\n{text}")
    return {
        "wall s": wall,
        "CPU s": usage.ru_utime + usage.ru_stime,
        "peak RSS MB": int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1)) / 1024,
        "output": text,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[2.0, 10.0])
    parser.add_argument("--segment", type=float, default=60.0, help="rendered seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--chunk-30",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run --chunk 30 on the shortest video (memory is set by the chunk)",
    )
    parser.add_argument("--keep", metavar="DIR", help="write the videos here and keep them")
    args = parser.parse_args()

    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="lqrppg-bench-stream-")
    folder = Path(args.keep or tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        segment, hr_true = render_segment(args.segment, args.seed)
        print(
            f"rendered {len(segment)} frames of {RENDER_SIZE[1]}x{RENDER_SIZE[0]} in "
            f"{time.perf_counter() - t0:.0f} s (true HR {hr_true:.1f} bpm)"
        )
        videos = []
        for minutes in sorted(args.minutes):
            path = folder / f"synthetic_{minutes:g}min_{WIDTH}x{HEIGHT}.avi"
            n_frames = round(minutes * 60 * FPS)
            took = write_pingpong(path, segment, n_frames)
            size_mb = path.stat().st_size / 1e6
            print(f"wrote {path.name}: {n_frames} frames, {size_mb:.0f} MB in {took:.0f} s")
            videos.append((minutes, path, n_frames))
        del segment

        floor = run_child(["-c", _IMPORT_ONLY], folder / "import.log")
        print(f"interpreter + imports alone: peak RSS {floor['peak RSS MB']:.0f} MB")
        runs = [(minutes, path, n, []) for minutes, path, n in videos]
        if args.chunk_30:
            minutes, path, n = videos[0]
            runs.append((minutes, path, n, ["--chunk", "30"]))
        rows = []
        for minutes, path, n_frames, extra in runs:
            argv = ["-c", _RUN_CLI, "predict", str(path), "--method", "pos", *extra]
            argv += ["--out", str(folder / f"{path.stem}.csv")]
            res = run_child(argv, folder / f"{path.stem}{'_'.join(extra)}.log")
            out = res.pop("output")
            hr = float(re.search(r"whole video\): ([\d.]+) bpm", out).group(1))
            chunks = re.search(r"(\d+) chunks of ([\d.]+) s", out)
            faces = re.search(r"found on (\d+) of (\d+)", out).groups()
            row = {
                "video": f"{minutes:g} min",
                "frames": n_frames,
                "--chunk": "default" if not extra else extra[1],
                "chunks": int(chunks.group(1)) if chunks else 1,
                "chunk s": float(chunks.group(2)) if chunks else n_frames / FPS,
                **res,
                "x real time": n_frames / FPS / res["wall s"],
                "HR bpm": hr,
                "HR error bpm": hr - hr_true,
                "faces found": f"{faces[0]}/{faces[1]}",
            }
            rows.append(row)
            print(
                f"{row['video']:>7} chunk {row['chunk s']:4.1f} s: {res['wall s']:6.1f} s wall, "
                f"peak RSS {res['peak RSS MB']:6.0f} MB, HR {hr:.1f} bpm"
            )
    finally:
        if tmp is not None:
            tmp.cleanup()

    table = pd.DataFrame(rows).set_index("video")
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 160):
        print(f"\nlqrppg predict --method pos, {WIDTH}x{HEIGHT} MJPG at {FPS:g} fps:")
        print(table.to_string())
    default = table[table["--chunk"] == "default"]["peak RSS MB"]
    verdict = (
        f"Peak RSS with the default chunk: {default.min():.0f}-{default.max():.0f} MB "
        f"(target <= 1536 MB, no growth with length: "
        f"{'met' if default.max() <= 1536 and default.max() - default.min() < 100 else 'NOT met'})."
        f" Interpreter plus imports alone: {floor['peak RSS MB']:.0f} MB."
    )
    print(verdict)
    notes = (
        f"One {args.segment:g} s video of `make_synthetic_rppg` (seed {args.seed}, rendered "
        f"at {RENDER_SIZE[1]}x{RENDER_SIZE[0]}, {FPS:g} fps, true HR {hr_true:.1f} bpm) is "
        f"upscaled to {WIDTH}x{HEIGHT} and written forwards and backwards in turn into "
        "Motion-JPEG .avi files of each length. `lqrppg predict --method pos --out CSV` runs "
        "in a child process; peak RSS is the child's own `VmHWM` (/proc/self/status) at exit, "
        "CPU time its user + system time from `os.wait4`. Face detection on (Haar cascade "
        "once per second, one median box per chunk). 'x real time' is video seconds per wall "
        "second. The machine's cores are shared with other work, so wall times vary between "
        "runs; memory does not.\n\n" + verdict
    )
    path = write_results(
        "streaming",
        "Streaming prediction: time and peak memory of `lqrppg predict`",
        [("Setup", notes), (f"lqrppg predict --method pos, {WIDTH}x{HEIGHT}", table)],
    )
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
