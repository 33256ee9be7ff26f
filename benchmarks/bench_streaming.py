"""``lqrppg predict`` against decoding alone: frames/s, start-up and peak memory, one run.

Synthetic face videos (``make_synthetic_rppg``, one subject, 30 fps) are rendered once at
320x240 and upscaled (bilinear) as they are written, forwards and backwards in turn
(ping-pong: the scene and the pulse rate stay continuous), into Motion-JPEG ``.avi`` files:
640x480 of 10 s, 60 s and 300 s, and 1920x1080 and 3840x2160 (the centred 320x180 of the
rendering, upscaled) of ``--large-seconds``. Rendering large frames directly would take
hours; upscaling keeps the face at the same fraction of the frame (about 70 % of the
height: a large face, as in a webcam close-up).

Every measurement runs in a child process:

- *decode only*: OpenCV's FFmpeg backend reading every frame into one reused array
  (``VideoCapture.read(frame)``, BGR as decoded, nothing else), the least any reader pays;
  frames/s over the read loop;
- ``lqrppg predict VIDEO`` (the shipped LQ-rPPG model) and ``lqrppg predict VIDEO --method
  pos``, as a user runs them. *Start-up* is the time from the launch to the first frame read
  (interpreter, imports, model loading, opening the file); *frames/s* counts the frames over
  the time from the first frame read to the end of the command (cropping, inference, the
  heart rate and its table included); the ratio to decoding is the target (>= 0.5 at
  640x480). The first read is seen by a ``cv2.VideoCapture`` subclass installed before the
  command runs. Peak memory is the child's ``VmHWM`` (/proc/self/status) at exit; CPU time
  its user + system time after the first frame (``os.times``).

The three are interleaved, file by file, in each of ``--repeats`` rounds, and the table
gives the best (shortest) of the rounds: the machine is shared, so other work slows single
runs; ratios within one round are fairer than absolute numbers across days. The memory runs
over the three lengths at 640x480 (is the peak flat with the length?) follow.

With ``--reference-src DIR`` (a source tree of another lqrppg version, e.g. the one before
a change), the same commands run with that tree first on ``PYTHONPATH`` in the same rounds,
on the 640x480 files and the sizes in ``--reference-sizes``: its speed, memory and heart
rates beside ours (the same HR to within 0.2 bpm is a target).

Run: ``python benchmarks/bench_streaming.py [--repeats 3] [--reference-src DIR]``. The
videos go to a temporary folder (removed afterwards unless ``--keep DIR``). Writes
docs/benchmarks/streaming.md and its figure streaming.png.
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
from _common import FIGURE_WIDTH, log, pyplot, save_figure, tree_commit, write_results

from lqrppg.datasets import make_synthetic_rppg

FPS = 30.0
RENDER = (240, 320)  # (height, width) rendered
SIZES = {"640x480": (480, 640), "1920x1080": (1080, 1920), "3840x2160": (2160, 3840)}
METHODS = {"LQ-rPPG (shipped)": [], "POS": ["--method", "pos"]}

_PEAK = "next(line for line in open('/proc/self/status') if line.startswith('VmHWM'))"
# The command as a user runs it, with the time of the first frame read recorded (by a
# wrapper of lqrppg's frame reader, which every version of the streaming reads through).
_RUN_CLI = f"""
import os, sys, time
import lqrppg.video._io as _io
_first = []
_reader = _io._frame_reader
def _timed(*args, **kwargs):
    for item in _reader(*args, **kwargs):
        if not _first:
            _first.append((time.time(), sum(os.times()[:2])))
        yield item
_io._frame_reader = _timed
from lqrppg.cli import main
try:
    code = main(sys.argv[1:])
finally:
    end = (time.time(), sum(os.times()[:2]))
    first = _first[0] if _first else end
    print('BENCH', first[0], end[0] - first[0], end[1] - first[1], {_PEAK}, flush=True)
sys.exit(code)
"""
_DECODE = f"""
import sys, time
import cv2
cap = cv2.VideoCapture(sys.argv[1], cv2.CAP_FFMPEG)
ok, frame = cap.read()
n, t0 = 1, time.perf_counter()
while True:
    ok, frame = cap.read(frame)
    if not ok:
        break
    n += 1
print('DECODE', n, time.perf_counter() - t0, {_PEAK}, flush=True)
"""


def render_segment(seconds: float, seed: int) -> tuple[np.ndarray, float]:
    data = make_synthetic_rppg(
        n_subjects=1,
        duration=seconds,
        fs=FPS,
        frame_size=RENDER,
        label_noise="none",
        random_state=seed,
    )
    return data.videos[0], float(data.hr[0])


def write_pingpong(path: Path, segment: np.ndarray, n_frames: int, size: tuple[int, int]):
    """Write ``n_frames`` frames of ``segment`` upscaled to ``size`` (H, W), ping-pong."""
    import cv2

    height, width = size
    if height * RENDER[1] != width * RENDER[0]:  # 16:9 from 4:3: the centred band
        band = round(RENDER[1] * height / width)
        top = (RENDER[0] - band) // 2
        segment = segment[:, top : top + band]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write MJPG to {path}")
    period = 2 * (len(segment) - 1)
    try:
        for i in range(n_frames):
            k = i % period
            frame = segment[k if k < len(segment) else period - k]
            big = cv2.resize(frame, (width, height), interpolation=cv2.INTER_LINEAR)
            writer.write(cv2.cvtColor(big, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()


def _child(args: list[str], env_src: str | None = None) -> tuple[str, float]:
    """Run ``python args``; its output and the launch time (``time.time()``).

    The child runs in the system's temporary folder: ``python -c`` puts the working folder
    first on ``sys.path``, which from the repository would import its lqrppg before the
    reference tree on ``PYTHONPATH``.
    """
    env = dict(os.environ)
    if env_src is not None:
        env["PYTHONPATH"] = str(Path(env_src).resolve()) + os.pathsep + env.get("PYTHONPATH", "")
    launch = time.time()
    proc = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=tempfile.gettempdir(),
    )
    out = proc.stdout + proc.stderr
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{args[:1]} ... exited with {proc.returncode}:\n{out[-3000:]}")
    return out, launch


def decode_only(path: Path) -> dict:
    out, _ = _child(["-c", _DECODE, str(path)])
    n, secs, peak = re.search(r"DECODE (\d+) ([\d.e-]+) VmHWM:\s+(\d+) kB", out).groups()
    return {"frames": int(n), "frames/s": int(n) / float(secs), "peak MB": int(peak) / 1024}


def predict(path: Path, extra: list[str], src: str | None = None) -> dict:
    out, launch = _child(["-c", _RUN_CLI, "predict", str(path), *extra], src)
    first, wall, cpu, peak = re.search(
        r"BENCH ([\d.]+) ([\d.e-]+) ([\d.e-]+) VmHWM:\s+(\d+) kB", out
    ).groups()
    frames = int(re.search(r"(\d+) frames \(", out).group(1))
    hr = re.search(r"whole video\): ([\d.]+) bpm", out)
    return {
        "frames": frames,
        "frames/s": frames / float(wall),
        "start-up s": float(first) - launch,
        "CPU ms/frame": 1e3 * float(cpu) / frames,
        "peak MB": int(peak) / 1024,
        "HR bpm": float(hr.group(1)) if hr else np.nan,
    }


def _best(runs: list[dict]) -> dict:
    """The fastest run's numbers; the highest peak memory of all runs."""
    best = max(runs, key=lambda r: r["frames/s"])
    return {**best, "peak MB": max(r["peak MB"] for r in runs)}


def draw(speed: pd.DataFrame, lengths: pd.DataFrame, ref_rows: list[dict]) -> str:
    """Left: frames/s by frame size (decode, each method, the reference); right: peak RSS by
    length at 640x480."""
    plt = pyplot()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 4.0), layout="constrained")
    ref = pd.DataFrame(ref_rows)
    bars = [("decode only", "decode only frames/s", None)]
    bars += [(m, f"{m} frames/s", None) for m in METHODS]
    if len(ref):
        bars += [(f"{m}, reference tree", None, m) for m in METHODS]
    x = np.arange(len(speed))
    width = 0.8 / len(bars)
    for k, (label, column, ref_method) in enumerate(bars):
        if column is not None:
            values = speed[column].to_numpy(float)
        else:
            rows = ref[ref["method"] == ref_method].set_index("video")["reference frames/s"]
            values = np.array([rows.get(v, np.nan) for v in speed.index], dtype=float)
        colour = "C0" if k == 0 else ("C1", "C2")[list(METHODS).index(ref_method or label)]
        style = {"hatch": "//", "edgecolor": "white"} if ref_method else {}
        offset = (k - (len(bars) - 1) / 2) * width
        ax.bar(x + offset, values, width, label=label, color=colour, **style)
    ax.set_yscale("log")
    ax.set_xticks(x, speed.index)
    ax.set_ylabel("frames/s (best of the rounds)")
    ax.set_title("Speed by frame size")
    ax.set_ylim(top=ax.get_ylim()[1] * 30)  # room above the bars for the legend
    ax.legend(fontsize=7.5, loc="upper right", ncols=2)
    for m, colour in zip(METHODS, ("C1", "C2"), strict=True):
        bx.plot(lengths.index, lengths[f"{m} peak MB"], "o-", color=colour, label=m)
        if len(ref):
            rows = ref[(ref["method"] == m) & ref["video"].str.startswith("640x480")]
            secs = [float(v.split(", ")[1].rstrip(" s")) for v in rows["video"]]
            bx.plot(secs, rows["reference peak MB"], "s--", color=colour, mfc="none",
                    label=f"{m}, reference tree")  # fmt: skip
    bx.axhline(600, color="#d62728", lw=1, label="target at 640x480 (600 MB)")
    bx.set_xscale("log")
    bx.set_xlabel("video length at 640x480 (s)")
    bx.set_ylabel("peak RSS (MB)")
    bx.set_ylim(0, bx.get_ylim()[1] * 1.7)  # room above the lines for the legend
    bx.set_title("Memory by length")
    bx.legend(fontsize=7.5, loc="upper left")
    return save_figure(
        fig,
        "streaming",
        "Left: frames/s of decoding alone and of lqrppg predict per frame size (log scale); "
        "right: peak memory by video length at 640x480, with the 600 MB target.",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lengths", type=float, nargs="+", default=[10.0, 60.0, 300.0])
    parser.add_argument("--speed-seconds", type=float, default=60.0, help="640x480 file timed")
    parser.add_argument("--large-seconds", type=float, default=10.0, help="1080p and 4K files")
    parser.add_argument("--segment", type=float, default=20.0, help="rendered seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reference-src", metavar="DIR", help="another lqrppg source tree")
    parser.add_argument(
        "--reference-sizes",
        nargs="*",
        default=["640x480"],
        help="sizes the reference runs on (its 3840x2160 chunks may need 7+ GB)",
    )
    parser.add_argument("--keep", metavar="DIR", help="write the videos here and keep them")
    parser.add_argument("--load", default="", help="other work on the machine, for the page")
    args = parser.parse_args()
    if args.speed_seconds not in args.lengths:
        parser.error("--speed-seconds must be one of --lengths")

    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="lqrppg-bench-stream-")
    folder = Path(args.keep or tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    ref = args.reference_src
    try:
        segment, hr_true = render_segment(args.segment, args.seed)
        log(f"rendered {len(segment)} frames at {RENDER[1]}x{RENDER[0]}, true HR {hr_true:.1f}")
        files = {}
        for secs in args.lengths:
            files[("640x480", secs)] = folder / f"v_640x480_{secs:g}s.avi"
        for name in ("1920x1080", "3840x2160"):
            files[(name, args.large_seconds)] = folder / f"v_{name}_{args.large_seconds:g}s.avi"
        for (name, secs), path in files.items():
            if not path.exists():
                write_pingpong(path, segment, round(secs * FPS), SIZES[name])
            log(f"{path.name}: {path.stat().st_size / 1e6:.0f} MB")
        del segment

        speed_files = [("640x480", args.speed_seconds)] + [
            (n, args.large_seconds) for n in ("1920x1080", "3840x2160")
        ]
        runs: dict = {}
        for r in range(args.repeats):
            for key in speed_files:
                path = files[key]
                runs.setdefault((key, "decode"), []).append(decode_only(path))
                for method, extra in METHODS.items():
                    runs.setdefault((key, method), []).append(predict(path, extra))
                    if ref and key[0] in args.reference_sizes:
                        runs.setdefault((key, method, "ref"), []).append(predict(path, extra, ref))
            log(f"round {r + 1}/{args.repeats} done")
        for key in files:
            if key in speed_files:
                continue
            for method, extra in METHODS.items():
                runs[(key, method)] = [predict(files[key], extra)]
                if ref:
                    runs[(key, method, "ref")] = [predict(files[key], extra, ref)]
            log(f"{key[0]} {key[1]:g} s done")
    finally:
        if tmp is not None:
            tmp.cleanup()

    speed_rows, length_rows, ref_rows = [], [], []
    for key in speed_files:
        dec = _best(runs[(key, "decode")])
        row = {"video": f"{key[0]}, {key[1]:g} s", "decode only frames/s": dec["frames/s"]}
        for method in METHODS:
            res = _best(runs[(key, method)])
            row[f"{method} frames/s"] = res["frames/s"]
            row[f"{method} / decode"] = res["frames/s"] / dec["frames/s"]
            row[f"{method} start-up s"] = res["start-up s"]
            row[f"{method} CPU ms/frame"] = res["CPU ms/frame"]
            row[f"{method} peak MB"] = res["peak MB"]
            row[f"{method} HR bpm"] = res["HR bpm"]
        row["decode only peak MB"] = dec["peak MB"]
        speed_rows.append(row)
    for key in files:
        if key[0] != "640x480":
            continue
        row = {"seconds": key[1]}
        for method in METHODS:
            res = _best(runs[(key, method)])
            row[f"{method} peak MB"] = res["peak MB"]
            row[f"{method} HR bpm"] = res["HR bpm"]
        length_rows.append(row)
    for key in files:
        for method in METHODS:
            if (key, method, "ref") not in runs:
                continue
            ours, theirs = _best(runs[(key, method)]), _best(runs[(key, method, "ref")])
            ref_rows.append(
                {
                    "video": f"{key[0]}, {key[1]:g} s",
                    "method": method,
                    "HR bpm": ours["HR bpm"],
                    "reference HR bpm": theirs["HR bpm"],
                    "HR difference": ours["HR bpm"] - theirs["HR bpm"],
                    "frames/s": ours["frames/s"],
                    "reference frames/s": theirs["frames/s"],
                    "speed-up": ours["frames/s"] / theirs["frames/s"],
                    "peak MB": ours["peak MB"],
                    "reference peak MB": theirs["peak MB"],
                }
            )

    speed = pd.DataFrame(speed_rows).set_index("video")
    lengths = pd.DataFrame(length_rows).set_index("seconds")
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 250):
        print(speed.T.to_string())
        print(lengths.to_string())
        if ref_rows:
            print(pd.DataFrame(ref_rows).to_string(index=False))

    verdicts = []
    vga = speed.iloc[0]
    for method in METHODS:
        ratio = vga[f"{method} / decode"]
        verdicts.append(
            f"- {method} at 640x480: {ratio:.2f} of decode-only frames/s "
            f"(target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'})."
        )
    for method in METHODS:
        peaks = lengths[f"{method} peak MB"]
        uhd = speed.iloc[-1][f"{method} peak MB"]
        flat = peaks.max() - peaks.min()
        ok = peaks.max() <= 600 and uhd <= 1536 and flat <= 50
        verdicts.append(
            f"- {method} peak RSS: {peaks.min():.0f}-{peaks.max():.0f} MB at 640x480 over "
            f"{', '.join(f'{s:g}' for s in lengths.index)} s (spread {flat:.0f} MB), {uhd:.0f} "
            f"MB at 3840x2160 (targets <= 600 MB, <= 1536 MB, flat: "
            f"{'met' if ok else 'NOT met'})."
        )
    if ref_rows:
        worst = max(abs(r["HR difference"]) for r in ref_rows)
        verdicts.append(
            f"- HR against the reference on {len(ref_rows)} (video, method) pairs: largest "
            f"difference {worst:.2f} bpm (target <= 0.2: {'met' if worst <= 0.2 else 'NOT met'})."
        )
    verdict = "\n".join(verdicts)
    print(verdict)
    notes = (
        f"One {args.segment:g} s video of `make_synthetic_rppg` (seed {args.seed}, rendered at "
        f"{RENDER[1]}x{RENDER[0]}, {FPS:g} fps, true HR {hr_true:.1f} bpm), upscaled and "
        "written forwards and backwards in turn into Motion-JPEG .avi files. Decode only: "
        "OpenCV reading every frame into one reused array. `lqrppg predict` (the shipped "
        "model, and `--method pos`) as a user runs it; start-up is the time to the first "
        "frame read, frames/s and CPU ms/frame count from the first frame read to the end "
        f"of the command. Best of {args.repeats} interleaved rounds (decode, model, POS, "
        "file by file); peak RSS is the highest of the rounds (`VmHWM`). The machine's two "
        "cores are shared with other work, so single runs vary by tens of percent; the "
        "ratios within a round are the measure.\n\n" + verdict
    )
    if args.load:
        notes = f"Load while measuring: {args.load}\n\n" + notes
    if ref:
        notes += f"\n\nReference tree `{ref}`: commit {tree_commit(ref)}."
    sections = [
        ("Setup", notes),
        ("Figure", draw(speed, lengths, ref_rows)),
        ("Speed against decoding, and memory, by frame size", speed.T),
        ("Peak memory and heart rate by length, 640x480", lengths),
    ]
    if ref_rows:
        sections.append(
            (
                f"Against the reference source tree `{ref}`",
                pd.DataFrame(ref_rows).set_index("video"),
            )
        )
    path = write_results("streaming", "Streaming: `lqrppg predict` against decoding", sections)
    print(f"written: {path}")


if __name__ == "__main__":
    main()
