"""`labkit export nbgrader DIR`: the released lessons as an nbgrader course's `source/`, graded by nbgrader's own
`generate_assignment → autograde → generate_feedback → export`.

Each lesson becomes the assignment `source/<NN-name>/<NN-name>.ipynb` (the name it was released under, so
`labkit grade` reads the lesson from the assignment folder too), with the course's `assets/` (which
`labkit.lesson` builds the lab from) and cheat sheet beside it. In the notebook:

- each exercise is an *autograded answer* cell (`<id>-answer`): its scaffold stays, and the course's solution sits
  between `### BEGIN SOLUTION` and `### END SOLUTION`, the only part nbgrader's release replaces. In a `%%docker`
  cell the solution is the docker commands themselves; a scaffold that is another cell magic (lesson 09's
  `%%writefile`) stays whole, as it is, and the solution goes in an answer cell of its own after it;
- each exercise's points sit on a locked *autograder test* cell (grade id: the exercise id) that runs
  `labkit.check("<id>")`, prints what it says and asserts that it passed. It takes the place of the lesson's own
  `labkit.check("<id>")` cell when there is one (lesson 09's comes after the rebuild), else follows the answer;
- a quiz's question and choices are a locked markdown cell above it (the released lesson shows them only as the
  output of `labkit.quiz`, which release clears);
- every other code cell (the lesson's set-up and experiments, which build the lab the checks read) is locked
  read-only: nbgrader's autograde puts back its released source;
- stored outputs, execution counts and widget state are cleared.

The solution region of a `%%docker` cell must be replaced by a comment: `nbgrader_config.py` (written when DIR has
none) sets `ClearSolutions.code_stub` so (nbgrader's default stub, `raise NotImplementedError()`, would be run as a
docker command) and gives each cell 120 s (`labkit.lesson` builds the lab).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from labkit.admin.export_lessons import (
    check_call,
    checked_later,
    chosen_lessons,
    copy_side_files,
    fresh_folders,
    lesson_points,
    question_markdown,
    read_lesson,
    split_answer,
)
from labkit.admin.workspace import COURSE
from labkit.course.catalog import EXERCISES
from labkit.course.vocabulary import Exercise
from labkit.errors import CommandError

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = "# YOUR ANSWER HERE"
CONFIG = f'''# nbgrader's settings for the labkit course (written by `labkit export nbgrader`)
c = get_config()  # noqa: F821 - nbgrader provides it

# A solution region is replaced by this stub on release. It must be a comment: a %%docker cell runs every other line
# as a docker command (nbgrader's default stub, `raise NotImplementedError()`, would be one).
c.ClearSolutions.code_stub = {{"python": "{STUB}"}}
# labkit.lesson("NN") builds the lesson's lab in the notebook's first cell: give every cell time for it.
c.Execute.timeout = 120
'''


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
          points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    return meta | ({"points": points} if grade else {})


def answer_cells(cell: nbformat.NotebookNode, ex: Exercise) -> list[nbformat.NotebookNode]:
    """The autograded answer of an exercise: its scaffold with the solution between the markers; or, when the
    scaffold is a cell magic the solution cannot be written into, the scaffold as it is, then the answer."""
    scaffold, solution = split_answer(cell, ex)
    for text in (*scaffold, *(solution or ())):
        if "BEGIN SOLUTION" in text or "END SOLUTION" in text:
            raise CommandError(f"labkit export: exercise {ex.id} already holds nbgrader's solution markers\n", 1)
    tags = {"labkit": {"exercise": ex.id, "points": ex.points}, "tags": ["exercise"]}
    if solution is not None:
        source = "\n".join([*scaffold, BEGIN, *solution, END])
        return [new_code_cell(source, metadata=dict(tags, nbgrader=_meta(f"{ex.id}-answer", solution=True)))]
    kept = new_code_cell(cell.source, metadata=dict(tags))
    rest = [f"# Exercise {ex.id}: anything the cell above does not do yet (it may do it all)", BEGIN,
            *ex.solution.strip("\n").splitlines(), END]
    return [kept, new_code_cell("\n".join(rest), metadata={"nbgrader": _meta(f"{ex.id}-answer", solution=True)})]


def test_cell(ex: Exercise) -> nbformat.NotebookNode:
    """The locked autograder test of an exercise: it holds the points, runs labkit.check, prints what the check
    says and fails unless it passed."""
    source = "\n".join([
        f"# Autograder test of exercise {ex.id} ({ex.points} point{'s' * (ex.points != 1)}; locked): "
        "nbgrader gives the points when this cell runs without an error.",
        "import labkit",
        "",
        f'_check = labkit.check("{ex.id}")',
        "if _check is not None:",
        "    print(_check)  # what passed, what did not, and a hint",
        f'assert _check is not None and _check.passed, "{ex.id}: " + (_check.message if _check is not None '
        'else "the check could not run")',
    ])
    return new_code_cell(source, metadata={"nbgrader": _meta(ex.id, grade=True, locked=True, points=ex.points)})


def question_cell(ex: Exercise) -> nbformat.NotebookNode:
    """A quiz's question and choices as a locked markdown cell, and how to answer so that nbgrader sees it."""
    return new_markdown_cell(question_markdown(ex), metadata={"nbgrader": _meta(f"{ex.id}-question", locked=True)})


def convert(nb: nbformat.NotebookNode, lesson: str) -> nbformat.NotebookNode:
    """The released lesson notebook as an nbgrader source notebook (a new notebook; nb is left as it was)."""
    nb, exercises = read_lesson(nb, lesson)
    waiting: list[str] = []  # exercises whose test goes where their labkit.check cell is
    out, setup = [], 0
    for i, (cell, ex_id) in enumerate(zip(nb.cells, exercises, strict=True)):
        if cell.cell_type != "code":
            out.append(cell)
        elif ex_id:
            ex = EXERCISES[ex_id]
            if ex.kind == "quiz":
                out.append(question_cell(ex))
            out += answer_cells(cell, ex)
            if checked_later(nb.cells[i + 1:], ex_id):
                waiting.append(ex_id)
            else:
                out.append(test_cell(ex))
        elif check_call(cell.source) in waiting:
            ex_id = check_call(cell.source)
            waiting.remove(ex_id)
            out.append(test_cell(EXERCISES[ex_id]))
        else:
            setup += 1
            cell.metadata.pop("nbgrader", None)
            cell.metadata["nbgrader"] = _meta(f"setup-{setup}", locked=True)
            out.append(cell)
    nb.cells = out
    return nb


def export(dest: Path, lessons: list[str] | None = None, course: Path = COURSE, force: bool = False) -> list[str]:
    """Write the lessons (all by default) as `dest/source/<assignment>/`, and `dest/nbgrader_config.py` when dest has
    none; returns what was done, a line each. An assignment folder already there is refused (replaced with
    force); nothing else in dest is touched."""
    chosen = chosen_lessons(lessons or [], course)
    folders = fresh_folders(dest, "source", [p.stem for p in chosen.values()], force)
    lines = []
    for (lesson, path), folder in zip(chosen.items(), folders, strict=True):
        nb = convert(nbformat.read(path, as_version=4), lesson)
        nbformat.validate(nb)
        nbformat.write(nb, folder / path.name)
        copy_side_files(course, folder)
        lines.append(f"  source/{path.stem}/{path.name}: {lesson_points(lesson)} point(s) in autograder tests")
    config = dest / "nbgrader_config.py"
    if not config.exists():
        config.write_text(CONFIG, encoding="utf-8")
        lines.append("  nbgrader_config.py: a comment as the code stub, 120 s per cell")
    elif STUB not in config.read_text(encoding="utf-8", errors="replace"):
        lines.append(f"  nbgrader_config.py kept as it is: add `c.ClearSolutions.code_stub = {{\"python\": \"{STUB}\"}}` "
                     "(a %%docker cell's stub must be a comment) and `c.Execute.timeout = 120`")
    return [f"labkit export nbgrader: {len(chosen)} assignment(s) in {dest}", *lines]
