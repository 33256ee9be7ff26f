"""The README's Python snippets run as written (in order, in one namespace)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_snippets_run(tmp_path, monkeypatch, capsys):
    snippets = _snippets()
    assert len(snippets) >= 3  # quickstart, predict_video, the model
    monkeypatch.chdir(tmp_path)  # what they write (result.json, lqrppg.pt) goes here
    namespace: dict = {}
    for k, code in enumerate(snippets):
        exec(compile(code, f"README.md python snippet {k + 1}", "exec"), namespace)
    out = capsys.readouterr().out
    # what the snippets print is what they say: a reliable HR, a table, a saved model
    assert "MAE" in out and "coverage" in out
    assert re.search(r"VideoResult\('.*face\.mkv', POS: HR \d+\.\d bpm", out), out
    assert (tmp_path / "result.json").is_file() and (tmp_path / "lqrppg.pt").is_file()
    assert "(4, 160)" in out
    result = namespace["result"]
    assert abs(result.hr - namespace["clip"].hr[0].mean()) < 3.0
