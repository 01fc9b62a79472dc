"""Each lesson, with its exercise cells solved, runs top to bottom and every one of its checks passes.

The released notebooks' stored outputs (checked by nbval) show every check failing, so together they
prove the checks can fail and can pass, from the engine's state, on the engine under test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from labkit.course.catalog import EXERCISES, LESSONS

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

VERDICTS = """
import json, os
from pathlib import Path
from labkit import session
from labkit.course import checks
from labkit.course.catalog import for_lesson
from labkit.course.vocabulary import Context
me = session.current()
ctx = Context(me.engine(), dict(me.answers), Path(os.getcwd()))
print(json.dumps({e.id: checks.evaluate(e.id, ctx).message for e in for_lesson(%r)}))
"""


def solved(path: Path) -> nbformat.NotebookNode:
    """The notebook with every exercise cell replaced by its solution."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        exercise = cell.get("metadata", {}).get("labkit", {}).get("exercise")
        if exercise:
            cell.source = EXERCISES[exercise].solution
    return nb


@pytest.fixture
def course_dir(engine, tmp_path):
    """A learner's copy of the notebooks folder; the lab it leaves behind is removed afterwards."""
    shutil.copytree(NOTEBOOKS / "assets", tmp_path / "assets")
    yield tmp_path
    if engine.name == "docker":
        from labkit import session
        from labkit.ownership import clean

        clean(engine, session.current().id, say=lambda s: None)


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_solved_lesson_passes_every_check(lesson, course_dir):
    [path] = NOTEBOOKS.glob(f"{lesson}-*.ipynb")
    nb = solved(path)
    nb.cells.append(nbformat.v4.new_code_cell(VERDICTS % lesson))
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(course_dir)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    verdicts = json.loads(text.strip().splitlines()[-1])
    assert verdicts and all(v == "passed" for v in verdicts.values()), verdicts
