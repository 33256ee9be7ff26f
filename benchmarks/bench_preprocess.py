"""Wall time of ``preprocess_dataset`` on a UBFC-rPPG-shaped folder: n_jobs 1 vs 2, and cache.

A fixture dataset in the layout of UBFC-rPPG 'DATASET_2' is written to a temporary folder:
``subject<k>/vid.avi`` (lossless FFV1, as the loader tests write it) from
``make_synthetic_rppg`` (default 10 subjects x 30 s at 30 fps, 128x128, mild motion and
light), and ``subject<k>/ground_truth.txt`` with the three lines of the real dataset: the
contact PPG, the heart rate in bpm and the time in seconds of each sample (one sample per
frame). Then ``load_ubfc_rppg`` + ``preprocess_dataset(chunk_length=160, size=(64, 64),
face_cropper="default", cache_dir=None)`` runs

1. with ``n_jobs=1``;
2. with ``n_jobs=2``, the first time (joblib's loky workers are started and import lqrppg)
   and again (the workers are reused);
3. with a cache folder in the temporary folder: once to fill it, once to read it.

Every result is checked against the first: X, y, groups and clip_index equal (bitwise) and
the same summary; every clip is accounted for (per readable recording clips made + skipped
== expected, the clips made == len(X), and the totals equal the clip plan of the frames).

Run: ``python benchmarks/bench_preprocess.py [--subjects 10] [--duration 30]
[--frame-size 128 128] [--size 64 64] [--repeats 1]``. Writes docs/benchmarks/preprocess.md and
its figure docs/benchmarks/preprocess.png (wall time per run, with the speed-up).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import FIGURE_WIDTH, load_average, pyplot, save_figure, write_results

from lqrppg.datasets import load_ubfc_rppg, make_synthetic_rppg, preprocess_dataset
from lqrppg.video import write_video

FS = 30.0
CHUNK = 160


# --------------------------------------------------------------------------------------------
# the fixture dataset
# --------------------------------------------------------------------------------------------
def write_ubfc_fixture(root: Path, data) -> list[Path]:
    """``<root>/subject<k>/vid.avi`` (FFV1) and ``ground_truth.txt`` for each video of ``data``.

    ``ground_truth.txt`` holds three lines of whitespace-separated numbers, as UBFC-rPPG's:
    the contact PPG, the heart rate in bpm and the time in seconds, one sample per frame.
    """
    folders = []
    for i, video in enumerate(data.videos):
        folder = root / f"subject{i + 1}"
        folder.mkdir(parents=True, exist_ok=True)
        write_video(folder / "vid.avi", video, FS, codec="FFV1")
        t = np.arange(len(video)) / FS
        rows = (data.ppg[i], data.hr_instantaneous[i], t)
        text = "\n".join("  ".join(f"{v:.9e}" for v in row) for row in rows)
        (folder / "ground_truth.txt").write_text(text + "\n")
        folders.append(folder)
    return folders


# --------------------------------------------------------------------------------------------
# runs and checks
# --------------------------------------------------------------------------------------------
def run(root: Path, size, n_jobs: int, cache_dir=None):
    """One ``load_ubfc_rppg`` + ``preprocess_dataset``; (result, wall s, main-process CPU s)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0, c0 = time.perf_counter(), time.process_time()
        out = preprocess_dataset(
            load_ubfc_rppg(root),
            chunk_length=CHUNK,
            size=size,
            face_cropper="default",
            cache_dir=cache_dir,
            n_jobs=n_jobs,
            progress=False,
        )
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    out.n_warnings = len(caught)
    return out, wall, cpu


def same_result(a, b) -> bool:
    """X, y, groups, clip_index and the summary (but for ``from_cache``) equal."""
    cols = [c for c in a.summary.columns if c != "from_cache"]
    return (
        a.X.shape == b.X.shape
        and np.array_equal(a.X, b.X)
        and np.array_equal(a.y, b.y)
        and np.array_equal(a.groups, b.groups)
        and a.clip_index.equals(b.clip_index)
        and a.summary[cols].equals(b.summary[cols])
    )


def accounting(out, n_frames: int, n_recordings: int) -> dict:
    """Clips expected, made, skipped and unaccounted for, from the summary and X."""
    s = out.summary
    known = s["n_clips_expected"].notna()
    per_rec = n_frames // CHUNK  # overlap 0, remainder "drop"
    expected = int(s.loc[known, "n_clips_expected"].sum())
    made = int(s["n_clips_made"].sum())
    skipped = int(s.loc[known, "n_clips_skipped"].sum())
    return {
        "recordings": len(s),
        "unreadable": int((~known).sum()),
        "clips planned": per_rec * n_recordings,
        "clips expected": expected,
        "made": made,
        "skipped": skipped,
        "unaccounted": per_rec * n_recordings - made - skipped,
        "len(X)": len(out.X),
        "frames dropped": int(s["n_frames_dropped"].sum()),
    }


def reasons(out) -> pd.DataFrame:
    """Recordings that lost clips, grouped by the reason."""
    s = out.summary
    lost = s[s["status"] != "ok"].copy()
    if lost.empty:
        return pd.DataFrame({"recordings": ["-"], "clips skipped": [0]}, index=["(none)"])
    # The reason names the frame size and the detection frame: keep its first sentence.
    lost["why"] = (
        lost["reason"].str.split(";").str[0].str.replace(r"^all \d+ clips: ", "", regex=True)
    )
    table = lost.groupby("why", sort=False).agg(
        recordings=("recording", lambda r: ", ".join(r)),
        status=("status", lambda r: ", ".join(sorted(set(r)))),
        **{"clips skipped": ("n_clips_skipped", "sum")},
    )
    table.index.name = "reason"
    return table


def figure(timing: pd.DataFrame, n_recordings: int) -> str:
    """Wall time of every run, split into main-process CPU and the rest, with the speed-up."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 3.4), layout="constrained")
    y = np.arange(len(timing))
    wall = timing["wall s"].to_numpy()
    cpu = np.minimum(timing["main-process CPU s"].to_numpy(), wall)
    ax.barh(y, cpu, color="C0", label="main-process CPU")
    ax.barh(y, wall - cpu, left=cpu, color="C1", label="rest of the wall time (workers, waits)")
    for k, (w, up) in enumerate(zip(wall, timing["speed-up vs n_jobs=1"], strict=True)):
        ax.text(w, k, f" {w:.2f} s ({up:.2f}x)", va="center", fontsize="small")
    ax.set_yticks(y, timing.index)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.3 * wall.max())
    ax.set_xlabel("wall time (s); in brackets: speed-up vs n_jobs=1")
    ax.set_title(f"preprocess_dataset on {n_recordings} recordings")
    ax.legend(loc="lower right", fontsize="small")
    return save_figure(
        fig,
        "preprocess",
        "Wall time of load_ubfc_rppg + preprocess_dataset per run (n_jobs 1 and 2, cache "
        "fill and read), split into the main process's CPU time and the rest.",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per video")
    parser.add_argument("--frame-size", type=int, nargs=2, default=[128, 128], metavar=("H", "W"))
    parser.add_argument("--size", type=int, nargs=2, default=[64, 64], metavar=("H", "W"))
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per setting (best)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    size = tuple(args.size)
    frame_size = tuple(args.frame_size)

    with tempfile.TemporaryDirectory(prefix="bench_preprocess-") as tmp:
        root = Path(tmp) / "UBFC-rPPG"
        t0 = time.perf_counter()
        data = make_synthetic_rppg(
            n_subjects=args.subjects,
            duration=args.duration,
            fs=FS,
            frame_size=frame_size,
            motion="mild",
            illumination="mild",
            random_state=args.seed,
        )
        t_gen = time.perf_counter() - t0
        n_frames = data.videos.shape[1]
        t0 = time.perf_counter()
        folders = write_ubfc_fixture(root, data)
        t_write = time.perf_counter() - t0
        mb = sum(f.stat().st_size for d in folders for f in d.iterdir()) / 1e6
        del data

        runs: list[tuple[str, int, object, float, float]] = []

        def timed(label, n_jobs, cache_dir=None, repeats=1):
            best = None
            for _ in range(repeats):
                out, wall, cpu = run(root, size, n_jobs, cache_dir)
                if best is None or wall < best[1]:
                    best = (out, wall, cpu)
            runs.append((label, n_jobs, *best))
            print(f"  {label}: {best[1]:.2f} s", flush=True)
            return best[0]

        load_before = load_average()
        print(f"fixture: {args.subjects} x {n_frames} frames at {frame_size[0]}x{frame_size[1]}")
        ref = timed("n_jobs=1", 1, repeats=args.repeats)
        timed("n_jobs=2, workers started", 2)
        timed("n_jobs=2, workers reused", 2, repeats=args.repeats)
        cache = Path(tmp) / "cache"
        timed("cache fill, n_jobs=1", 1, cache)
        cache_read = timed("cache read, n_jobs=1", 1, cache, repeats=args.repeats)
        timed("cache read, n_jobs=2", 2, cache, repeats=args.repeats)
        load_after = load_average()
        n_entries = len(list(cache.rglob("*.npz")))
        cache_mb = sum(f.stat().st_size for f in cache.rglob("*.npz")) / 1e6

    base = runs[0][3]
    rows = []
    for label, n_jobs, out, wall, cpu in runs:
        rows.append(
            {
                "run": label,
                "n_jobs": n_jobs,
                "wall s": wall,
                "speed-up vs n_jobs=1": base / wall,
                "main-process CPU s": cpu,
                "recordings from cache": int(out.summary["from_cache"].sum()),
                "clips": len(out.X),
                "identical to n_jobs=1": same_result(ref, out),
                "warnings": out.n_warnings,
            }
        )
    timing = pd.DataFrame(rows).set_index("run")
    acc = pd.DataFrame(
        {label: accounting(out, n_frames, args.subjects) for label, _, out, _, _ in runs}
    ).T
    why = reasons(ref)
    per_rec = ref.summary[
        ["recording", "status", "n_frames", "n_clips_expected", "n_clips_made", "n_clips_skipped"]
    ].set_index("recording")

    all_same = bool(timing["identical to n_jobs=1"].all())
    all_counted = bool((acc["unaccounted"] == 0).all() and (acc["made"] == acc["len(X)"]).all())
    cached_all = int(cache_read.summary["from_cache"].sum()) == args.subjects
    setup = (
        f"{args.subjects} synthetic subjects (`make_synthetic_rppg`, seed {args.seed}, mild "
        f"motion and light) x {args.duration:g} s at {FS:g} fps ({n_frames} frames), "
        f"{frame_size[0]}x{frame_size[1]}, written in the UBFC-rPPG DATASET_2 layout "
        f"(`subject<k>/vid.avi` lossless FFV1, `ground_truth.txt` with PPG / HR / time lines, "
        f"one sample per frame): {mb:.0f} MB, rendered in {t_gen:.1f} s and written in "
        f"{t_write:.1f} s. Each run is `load_ubfc_rppg` + `preprocess_dataset(chunk_length="
        f"{CHUNK}, size={size}, face_cropper='default', normalize='standardize', "
        f"label_normalize='standardize', scope='recording')`, timed wall-clock "
        f"(best of {args.repeats} where marked so by --repeats; 'workers started' and "
        "'cache fill' once). 'workers started' is the first `n_jobs=2` call of the process: "
        "it includes starting joblib's loky workers and importing lqrppg in them; later "
        "calls reuse them. 'main-process CPU s' excludes the workers' CPU. Cache: "
        f"{n_entries} entries, {cache_mb:.0f} MB. The machine's cores are shared with other "
        "work, so wall times vary between runs (1-minute load average before the runs "
        f"{load_before:.2f}, after {load_after:.2f})."
    )
    checks = (
        f"- all results identical to n_jobs=1 (X, y, groups, clip_index, summary): "
        f"{'yes' if all_same else 'NO'}\n"
        f"- every clip accounted for (made + skipped == planned, made == len(X)): "
        f"{'yes' if all_counted else 'NO'}\n"
        f"- second cached run read every recording from the cache: "
        f"{'yes' if cached_all else 'NO'}"
    )

    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 160):
        print("\nTiming:")
        print(timing.to_string())
        print("\nClip accounting:")
        print(acc.to_string())
        print("\nRecordings that lost clips:")
        print(why.to_string())
        print("\nPer recording (n_jobs=1):")
        print(per_rec.to_string())
        print("\nChecks:")
        print(checks)
    figure_md = figure(timing, args.subjects)
    path = write_results(
        "preprocess",
        "Preprocessing a UBFC-rPPG-shaped dataset: n_jobs and cache",
        [
            ("Setup", setup),
            ("Checks", checks),
            ("Wall time", timing),
            ("Figure", figure_md),
            ("Clip accounting (summary and X)", acc),
            ("Recordings that lost clips", why),
            ("Per recording", per_rec),
        ],
    )
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
