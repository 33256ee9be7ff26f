"""The example notebooks run top to bottom, and are committed without outputs.

Each notebook reads ``LQRPPG_NOTEBOOK_SMOKE=1`` in its first code cell and shrinks its data
and training to a few seconds; the test executes it that way with nbclient, in a temporary
working directory (the notebooks write videos, figures and models to their working
directory, never into the repository), with the non-interactive matplotlib backend. The
kernel is this interpreter: a kernelspec written to a temporary folder launches
``sys.executable``, so the notebooks import the lqrppg under test, whatever ``python3``
kernel a user or a virtual environment has installed.

A notebook committed with outputs (or execution counts, or widget state) fails
``test_notebook_is_stripped``: clear the outputs before committing, e.g. with
``jupyter nbconvert --clear-output --inplace examples/*.ipynb``.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
jupyter_client = pytest.importorskip("jupyter_client")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED = ("01_quickstart.ipynb", "02_pipelines_gridsearch.ipynb", "03_your_own_video.ipynb")
NOTEBOOKS = sorted(p.name for p in EXAMPLES.glob("*.ipynb"))
KERNEL_NAME = "lqrppg-examples-test"
CELL_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory) -> Path:
    """A folder holding one kernelspec that runs this interpreter."""
    root = tmp_path_factory.mktemp("kernels")
    spec = root / KERNEL_NAME
    spec.mkdir()
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "lqrppg examples (test)",
                "language": "python",
            }
        )
    )
    return root


def _execute(nb, workdir: Path, kernel_dir: Path):
    """Run ``nb`` in place with the test kernel, small settings and the Agg backend."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(
        kernel_name=KERNEL_NAME,
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dir)]),
    )
    client = nbclient.NotebookClient(
        nb,
        km=km,
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(workdir)}},
    )
    env = dict(os.environ, LQRPPG_NOTEBOOK_SMOKE="1", MPLBACKEND="Agg")
    client.execute(env=env)
    return nb


def _text(cell) -> str:
    """Standard output and plain-text results of a code cell."""
    parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream" and out["name"] == "stdout":
            parts.append(out["text"])
        elif out["output_type"] in ("execute_result", "display_data"):
            parts.append(out["data"].get("text/plain", ""))
    return "\n".join(parts)


def _all_text(nb) -> str:
    return "\n".join(_text(c) for c in nb.cells if c.cell_type == "code")


# -- what each notebook must show (cheap checks on its outputs) -------------------------------
def _check_quickstart(nb, workdir: Path) -> None:
    text = _all_text(nb)
    assert "smoke settings: True" in text  # the notebook read LQRPPG_NOTEBOOK_SMOKE
    # The HR table has a row per method: name, MAE, RMSE, MAPE, Pearson, n clips.
    rows = dict(re.findall(r"^(LQ-rPPG|POS|CHROM)\s+(\S+)\s", text, flags=re.M))
    assert set(rows) == {"LQ-rPPG", "POS", "CHROM"}, text
    # Even at 16 x 16 pixels POS finds the pulse; a large error means the predictions and
    # the reference heart rates are misaligned.
    assert float(rows["POS"]) < 10.0, rows


def _check_gridsearch(nb, workdir: Path) -> None:
    text = _all_text(nb)
    assert "rank_test_score" in text  # cv_results_ shown
    assert "clone is unfitted: True" in text
    assert "predicts the same waveforms: True" in text
    assert (workdir / "lqrppg_pipeline.joblib").is_file()


def _check_own_video(nb, workdir: Path) -> None:
    last = _text(nb.cells[-1])
    true_hr = float(re.search(r"true HR: ([\d.]+) bpm", last).group(1))
    cli_hr = float(re.search(r"lqrppg predict ([\d.]+) bpm", last).group(1))
    api_hr = float(re.search(r"Python API \(POS\) ([\d.]+) bpm", last).group(1))
    assert abs(api_hr - true_hr) < 5.0, last
    assert abs(cli_hr - true_hr) < 5.0, last
    for name in ("synthetic_face.avi", "pulse.csv", "pulse.png", "pulse.json"):
        assert (workdir / name).is_file(), name
    # the notebook reads the command's HR from its JSON, and predict_video's is the same
    written = json.loads((workdir / "pulse.json").read_text())
    assert round(written["hr_bpm"], 1) == cli_hr == api_hr, last


CHECKS = {
    "01_quickstart.ipynb": _check_quickstart,
    "02_pipelines_gridsearch.ipynb": _check_gridsearch,
    "03_your_own_video.ipynb": _check_own_video,
}


# -- tests ------------------------------------------------------------------------------------
def test_expected_notebooks_exist():
    assert set(EXPECTED) <= set(NOTEBOOKS), (
        f"missing in {EXAMPLES}: {set(EXPECTED) - set(NOTEBOOKS)}"
    )


def test_kernel_is_this_interpreter(kernel_dir, tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import os, sys\n"
                "print(sys.executable)\n"
                "print(os.environ['LQRPPG_NOTEBOOK_SMOKE'], os.environ['MPLBACKEND'])\n"
                "print(os.getcwd())"
            )
        ]
    )
    lines = _text(_execute(nb, tmp_path, kernel_dir).cells[0]).splitlines()
    assert Path(lines[0]).resolve() == Path(sys.executable).resolve()
    assert lines[1] == "1 Agg"
    assert Path(lines[2]).resolve() == tmp_path.resolve()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, kernel_dir, tmp_path):
    before = sorted(p.name for p in EXAMPLES.iterdir())
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    _execute(nb, tmp_path, kernel_dir)  # raises CellExecutionError on any error
    assert sorted(p.name for p in EXAMPLES.iterdir()) == before, "the notebook wrote into examples/"
    if name in CHECKS:
        CHECKS[name](nb, tmp_path)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stripped(name):
    path = EXAMPLES / name
    nbformat.validate(nbformat.read(path, as_version=4))
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert "widgets" not in raw.get("metadata", {}), f"{name}: widget state in the metadata"
    for i, cell in enumerate(raw["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs") == [], f"{name}: cell {i} has outputs; clear them"
        assert cell.get("execution_count") is None, f"{name}: cell {i} has an execution count"
        assert "execution" not in cell.get("metadata", {}), f"{name}: cell {i} has run timings"
