"""Shared helpers of the benchmark scripts: machine description, result pages and figures."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "docs" / "benchmarks"


_T0 = time.perf_counter()


def elapsed() -> float:
    """Seconds since the script started (since this module was imported)."""
    return time.perf_counter() - _T0


def log(msg: str) -> None:
    """Print a progress line with the clock time and the seconds since the script started."""
    print(f"[{time.strftime('%H:%M:%S')} +{elapsed():7.1f} s] {msg}", flush=True)


def load_average() -> float:
    """The machine's 1-minute load average (NaN where the system has none), for the pages."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def shared_data_dir() -> Path:
    """``../shared/data`` beside the repository, or ``$LQRPPG_SHARED_DATA``."""
    env = os.environ.get("LQRPPG_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def machine() -> str:
    """One line describing where the numbers were measured."""
    import numpy as np
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} logical cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, torch {torch.__version__}"
    )


def tree_commit(tree: Path | str = REPO) -> str:
    """The short commit checked out in source tree ``tree`` (this repository by default), or
    "unknown" outside git."""
    try:
        out = subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _escape_pipes(table: pd.DataFrame) -> pd.DataFrame:
    """``|`` in headers, index and text cells escaped, so it does not split a Markdown column."""

    def esc(value):
        return value.replace("|", r"\|") if isinstance(value, str) else value

    out = table.rename(columns=esc, index=esc)
    out.index.names = [esc(n) for n in out.index.names]
    out.columns.names = [esc(n) for n in out.columns.names]
    text = out.select_dtypes(include="object").columns
    out[text] = out[text].map(esc)
    return out


def write_results(
    name: str,
    title: str,
    sections: list[tuple[str, pd.DataFrame | str]],
    command: str | None = None,
) -> Path:
    """Write a Markdown results page ``docs/benchmarks/<name>.md`` and return its path.

    ``command`` is the command line shown on the page; by default the running one (a script
    that rewrites its page from saved results passes the command that measured them).
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    if command is None:
        command = "python " + " ".join([f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    lines = [
        f"# {title}",
        "",
        f"- command: `{command}`",
        f"- machine: {machine()}",
        f"- commit: {tree_commit()}, run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
    ]
    for heading, body in sections:
        lines += [f"## {heading}", ""]
        if isinstance(body, pd.DataFrame):  # body.attrs["floatfmt"]: another number format
            lines.append(
                _escape_pipes(body).to_markdown(floatfmt=body.attrs.get("floatfmt", ".2f"))
            )
        else:
            lines.append(body)
        lines.append("")
    path = RESULTS / f"{name}.md"
    path.write_text("\n".join(lines))
    return path


#: Width of a benchmark figure in inches at :data:`FIGURE_DPI`: 900 px. The docs theme's text
#: column is about 690-830 px wide (mkdocs-material with both sidebars, by screen size), so the
#: figure is shown at 3/4 or more of its size and its 10-point labels stay readable.
FIGURE_WIDTH = 9.0
FIGURE_DPI = 100


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (no display needed), with the pages' style."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.titlesize": 10, "legend.fontsize": 8.5})
    return plt


def figure_markdown(path: Path, caption: str, relative_to: Path = RESULTS) -> str:
    """The Markdown of a figure: the image, linked relative to ``relative_to``, then its caption.

    The image's alternative text is the caption, which follows in italics on its own line.
    """
    if "\n" in caption:
        raise ValueError(f"a figure caption is one line; got {caption!r}")
    link = Path(os.path.relpath(path, relative_to)).as_posix()
    return f"![{caption}]({link})\n\n*{caption}*"


def save_figure(fig: Any, name: str, caption: str, folder: Path = RESULTS) -> str:
    """Save ``fig`` as ``<folder>/<name>.png`` (default: next to the pages) and close it.

    Returns the figure's Markdown for a page in ``folder`` (:func:`figure_markdown`).
    """
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    markdown = figure_markdown(path, caption, relative_to=folder)
    fig.savefig(path, dpi=FIGURE_DPI)
    plt.close(fig)
    log(f"figure: {path}")
    return markdown


def method_bars(
    ax: Any,
    index: Any,
    bars: dict[str, tuple[Any, Any]],
    *,
    xlabel: str,
    title: str,
    legend_y: float = -0.13,
) -> None:
    """Grouped horizontal bars on ``ax``: a row per entry of ``index`` (a method), top down.

    ``bars`` maps each legend label to ``(values, errors)`` (``errors`` None: no error bars);
    the bars of a row share 0.8 of its height, side by side in the order given, and the
    legend goes below the axes (its top at ``legend_y`` in axes units), in two columns.
    """
    import numpy as np

    y = np.arange(len(index))
    height = 0.8 / len(bars)
    for k, (label, (values, errors)) in enumerate(bars.items()):
        offset = (k - (len(bars) - 1) / 2) * height
        ax.barh(y + offset, values, height, xerr=errors, label=label)
    ax.set_yticks(y, index)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, legend_y), ncol=2, fontsize="small")
