"""Run All twice in one kernel gives the same outputs (after the notebooks' own sanitizer)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbval.plugin import get_sanitize_patterns

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = get_sanitize_patterns((ROOT / "tests" / "nbval-sanitize.cfg").read_text())


def text_of(cell) -> str:
    """A cell's comparable output: streams and text/plain, sanitized."""
    parts = []
    for o in cell.outputs:
        parts.append(o.get("text", "") if o.output_type == "stream" else o.get("data", {}).get("text/plain", ""))
    joined = "".join(parts)
    for regex, replace in PATTERNS:
        joined = re.sub(regex, replace, joined)
    return joined


@pytest.mark.parametrize("lesson", ["05", "09", "13"])
def test_run_all_twice_gives_the_same_outputs(lesson, engine, tmp_path):
    [path] = (ROOT / "notebooks").glob(f"{lesson}-*.ipynb")
    shutil.copytree(ROOT / "notebooks" / "assets", tmp_path / "assets")
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    twice = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c.source) for c in code + code],
                                     metadata=nb.metadata)
    try:
        NotebookClient(twice, timeout=120, kernel_name="python3", allow_errors=False,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        if engine.name == "docker":
            from labkit import session
            from labkit.ownership import clean

            clean(engine, session.current().id, say=lambda s: None)
    first, second = twice.cells[:len(code)], twice.cells[len(code):]
    for a, b in zip(first, second, strict=True):
        assert text_of(a) == text_of(b), a.source
