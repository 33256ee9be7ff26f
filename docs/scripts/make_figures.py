"""Draw the figures of the documentation into docs/figures/*.png.

Run from the repository root:

    .venv/bin/python docs/scripts/make_figures.py

Every figure is made with lqrppg itself on synthetic data with fixed seeds, so a re-run on
the same machine redraws the same pictures. It takes well under two minutes on two CPU
cores (the LabelQuantizer fit, a few epochs per level, is most of it). Pass figure names to
redraw only some of them: ``make_figures.py pseudo_labels``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from lqrppg.datasets import make_synthetic_rppg
from lqrppg.signal import estimate_hr, filter_pulse, standardize

OUT = Path(__file__).resolve().parents[1] / "figures"
DPI = 100
FS = 30.0


def _save(fig, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    fig.savefig(path, dpi=DPI, bbox_inches="tight", pil_kwargs={"optimize": True})
    plt.close(fig)
    print(
        f"  {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
        f"  {path.stat().st_size / 1024:.0f} kB"
    )


# ------------------------------------------------------------------------------ label noise


def label_noise() -> None:
    """The clean pulse of a synthetic subject against its contact-PPG label at three noises."""
    seconds = 12
    fig, ax = plt.subplots(figsize=(8, 3.8))
    t = np.arange(int(seconds * FS)) / FS
    traces = []
    for preset in ("mild", "moderate", "severe"):
        data = make_synthetic_rppg(
            n_subjects=1,
            duration=seconds,
            frame_size=(8, 8),
            motion="none",
            illumination="none",
            label_noise=preset,
            hr_range=(65, 80),
            random_state=3,
        )
        if not traces:  # the videos, hence the clean pulse, do not depend on label_noise
            traces.append(("clean pulse that modulates the skin", data.ppg_clean[0], "k"))
        traces.append((f"contact-PPG label, label_noise='{preset}'", data.ppg[0], None))
    for i, (text, values, color) in enumerate(traces):
        offset = -5.0 * i
        ax.plot(t, standardize(values) + offset, lw=1.2 if color else 1.0, color=color or f"C{i}")
        ax.text(0.1, offset + 2.4, text, fontsize=8, va="bottom")
    ax.set_xlabel("time (s)")
    ax.set_yticks([])
    ax.set_xlim(0, seconds)
    ax.set_ylim(-5.0 * (len(traces) - 1) - 3.0, 4.2)
    ax.set_title(
        "make_synthetic_rppg: one pulse, seen at the face and (with noise) at the finger",
        fontsize=10,
    )
    _save(fig, "label_noise")


# ------------------------------------------------------------------------------ pseudo labels


def pseudo_labels() -> None:
    """LabelQuantizer pseudo labels at the five levels for a held-out clip."""
    from lqrppg.quantization import LabelQuantizer

    T = 160
    train = make_synthetic_rppg(
        n_subjects=24,
        duration=3 * T / FS,
        frame_size=(8, 8),
        motion="none",
        illumination="none",
        label_noise="moderate",
        random_state=0,
    )
    test = make_synthetic_rppg(
        n_subjects=1,
        duration=T / FS,
        frame_size=(8, 8),
        motion="none",
        illumination="none",
        label_noise="moderate",
        subject_offset=100,
        random_state=0,
    )
    y_train = train.ppg.reshape(-1, T)  # three non-overlapping clips per subject
    lq = LabelQuantizer(epochs=8, num_threads=1, verbose=0, random_state=0).fit(y_train)
    label = standardize(test.ppg[0])
    levels = lq.pseudo_labels(test.ppg)[0]

    t = np.arange(T) / FS
    fig, axes = plt.subplots(len(lq.levels_) + 1, 1, figsize=(8, 6.4), sharex=True)
    axes[0].plot(t, label, color="0.2", lw=1.2)
    axes[0].set_ylabel("label", rotation=0, ha="right", va="center")
    for ax, k, level in zip(axes[1:], lq.levels_, levels, strict=True):
        ax.plot(t, label, color="0.75", lw=1.0)
        ax.step(t, level, where="mid", color="C3", lw=1.3)
        ax.set_ylabel(f"K = {k}\n({int(np.log2(k))} bit)", rotation=0, ha="right", va="center")
    for ax in axes:
        ax.set_yticks([])
        ax.set_xlim(0, t[-1])
    axes[-1].set_xlabel("time (s)")
    axes[0].set_title(
        "LabelQuantizer: a held-out 'moderate' label (grey) and its pseudo labels (red)",
        fontsize=10,
    )
    fig.tight_layout(h_pad=0.2)
    _save(fig, "pseudo_labels")


# ------------------------------------------------------------------------------ C2F diagram


def _box(ax, x, y, w, h, text, color, fontsize=8):
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            fc=color,
            ec="0.25",
            lw=0.8,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start, end, style="-|>", color="0.2", ls="-", rad=0.0):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=9,
            color=color,
            lw=0.9,
            ls=ls,
            connectionstyle=f"arc3,rad={rad}",
            shrinkA=0,
            shrinkB=0,
        )
    )


def c2f_diagram() -> None:
    """Block diagram of the coarse-to-fine network and its hierarchical supervision."""
    fig, ax = plt.subplots(figsize=(11.5, 4.8))
    ax.set_xlim(0, 13.0)
    ax.set_ylim(0, 5.2)
    ax.axis("off")
    blue, green, orange, grey = "#dbe8f6", "#dff2df", "#fbe5cf", "#eeeeee"
    skip = "#2f7d32"
    y = 3.55  # the main row

    _box(ax, 0.6, y, 1.05, 0.8, "face clip\n(T, H, W, 3)", grey, 7)
    _box(
        ax,
        2.05,
        y,
        1.5,
        1.15,
        "stem: frame and\nframe-difference\nbranches, 3-D conv,\nattention mask,\nmean over space",
        blue,
        6.5,
    )
    _arrow(ax, (1.1, y), (1.3, y))
    ax.text(3.15, y + 0.18, "tokens\n(T, dim)", fontsize=6.5, ha="center", va="bottom")

    x_blocks = [4.0, 5.75, 7.5, 9.25]
    x_plus = [None, 4.95, 6.7, 8.45, 10.2]
    codes = [2, 4, 8, 16]
    _arrow(ax, (2.8, y), (x_blocks[0] - 0.45, y))
    for i, x in enumerate(x_blocks, start=1):
        _box(ax, x, y, 0.9, 0.7, f"BiMamba\nblock {i}", blue, 7.5)
        px = x_plus[i]
        ax.add_patch(plt.Circle((px, y), 0.11, fc="white", ec="0.25", lw=0.8))
        ax.text(px, y, "+", ha="center", va="center", fontsize=8)
        _arrow(ax, (x + 0.45, y), (px - 0.11, y))
        if i < len(x_blocks):
            _arrow(ax, (px + 0.11, y), (x_blocks[i] - 0.45, y))
        # head -> soft reconstruction through level i's codebook -> loss against level i
        _arrow(ax, (x, y - 0.35), (x, 2.52))
        _box(ax, x, 2.3, 1.05, 0.42, f"head {i}\ndim -> 1", green, 7)
        _arrow(ax, (x, 2.09), (x, 1.72))
        _box(ax, x, 1.5, 1.05, 0.42, f"soft recon.\nK = {codes[i - 1]}", green, 7)
        _arrow(ax, (x, 1.29), (x, 0.93))
        _box(ax, x, 0.72, 1.05, 0.42, f"loss vs\nlevel {i}", orange, 7)
        # projected back (1 -> dim) and added after this block and after every later one
        _arrow(ax, (x + 0.53, 1.5), (px, y - 0.11), color=skip, ls="--", rad=0.2)

    xp = 11.3
    _arrow(ax, (x_plus[4] + 0.11, y), (xp - 0.6, y))
    _box(ax, xp, y, 1.2, 0.9, "predictor\n3 x Conv1d\n+ GELU,\nConv1d -> 1", blue, 6.5)
    _arrow(ax, (xp, y - 0.45), (xp, 1.72))
    _box(ax, xp, 1.5, 1.05, 0.42, "soft recon.\nK = 32", green, 7)
    _arrow(ax, (xp, 1.29), (xp, 0.93))
    _box(ax, xp, 0.72, 1.05, 0.42, "loss vs\nlevel 5", orange, 7)
    _arrow(ax, (xp + 0.53, 1.5), (xp + 0.85, 1.5))
    ax.text(
        xp + 0.9,
        1.5,
        "rPPG\nwaveform\n(standard-\nised per\nclip)",
        fontsize=6.5,
        ha="left",
        va="center",
    )

    ax.text(
        6.2,
        5.0,
        "stage 2: the coarse-to-fine (C2F) network",
        ha="center",
        fontsize=10,
        weight="bold",
    )
    ax.text(
        6.2,
        4.55,
        "dashed: each level's reconstruction, projected back to dim channels, "
        "is added to the stream after its block and after every later block (cumulative)",
        ha="center",
        fontsize=7,
        color=skip,
    )
    ax.text(
        6.2,
        0.15,
        "targets: the pseudo labels of the frozen LabelQuantizer (stage 1), "
        "levels 1-5 with 2, 4, 8, 16, 32 codewords; the five hybrid losses are summed",
        ha="center",
        fontsize=7,
        color="#a0521d",
    )
    _save(fig, "c2f_diagram")


# ------------------------------------------------------------------------------ evaluation


def evaluation_chain() -> None:
    """POS on a synthetic video: raw output, after detrend and band-pass, and its spectrum."""
    from scipy.signal import periodogram

    from lqrppg.baselines import POS

    data = make_synthetic_rppg(
        n_subjects=1,
        duration=20,
        frame_size=(32, 32),
        label_noise="mild",
        hr_range=(65, 85),
        random_state=5,
    )
    raw = POS(fs=data.fs).predict(data.videos)[0]
    filtered = filter_pulse(raw, data.fs)  # estimate_hr's filtering
    hr = estimate_hr(raw, data.fs)

    t = np.arange(raw.size) / data.fs
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.0), gridspec_kw={"width_ratios": [2, 1]})
    ax1.plot(t, standardize(raw) + 4.5, lw=0.9, color="0.45", label="POS output")
    ax1.plot(t, standardize(filtered), lw=1.1, color="C0", label="detrended, band-passed")
    ax1.set_xlabel("time (s)")
    ax1.set_yticks([])
    ax1.set_xlim(0, t[-1])
    ax1.legend(loc="upper right", fontsize=7, ncol=2)
    freqs, power = periodogram(filtered, fs=data.fs, nfft=4096)
    bpm = 60.0 * freqs
    keep = bpm <= 200
    ax2.plot(bpm[keep], power[keep] / power[keep].max(), color="C0", lw=1.1)
    ax2.axvspan(45, 150, color="0.92", zorder=0)
    ax2.axvline(hr, color="C3", lw=1.0, ls="--", label=f"estimate {hr:.1f} bpm")
    ax2.axvline(data.hr[0], color="k", lw=0.8, ls=":", label=f"truth {data.hr[0]:.1f} bpm")
    ax2.set_xlabel("bpm")
    ax2.set_yticks([])
    ax2.legend(loc="upper right", fontsize=7)
    fig.suptitle("estimate_hr: detrend -> band-pass (0.75-2.5 Hz) -> spectral peak", fontsize=10)
    fig.tight_layout()
    _save(fig, "evaluation_chain")


FIGURES = {
    "label_noise": label_noise,
    "pseudo_labels": pseudo_labels,
    "c2f_diagram": c2f_diagram,
    "evaluation_chain": evaluation_chain,
}


def main(names: list[str]) -> None:
    unknown = sorted(set(names) - set(FIGURES))
    if unknown:
        raise SystemExit(f"unknown figure(s) {unknown}; choose from {sorted(FIGURES)}")
    start = time.perf_counter()
    for name in names or FIGURES:
        t0 = time.perf_counter()
        FIGURES[name]()
        print(f"{name}: {time.perf_counter() - t0:.1f} s")
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
