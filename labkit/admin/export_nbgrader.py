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

import re
import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from labkit.admin.workspace import COURSE, cleared
from labkit.course.exercises import EXERCISES, QUESTIONS, Exercise
from labkit.course.lessons import LESSONS
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
SIDE_FILES = ("assets", "cheatsheet.md")  # what the lessons use or link to, beside each notebook


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
          points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    return meta | ({"points": points} if grade else {})


def _solution_lines(ex: Exercise, docker_cell: bool) -> list[str] | None:
    """The exercise's solution as the lines of a solution region: in a %%docker cell, the docker commands of its
    `%docker …` lines (None when it has other lines too)."""
    lines = ex.solution.strip("\n").splitlines()
    if not docker_cell:
        return lines
    if not all(line.startswith("%docker ") for line in lines if line.strip()):
        return None
    return [line[len("%docker "):] for line in lines if line.strip()]


def answer_cells(cell: nbformat.NotebookNode, ex: Exercise) -> list[nbformat.NotebookNode]:
    """The autograded answer of an exercise: its scaffold with the solution between the markers; or, when the
    scaffold is a cell magic the solution cannot be written into, the scaffold as it is, then the answer."""
    scaffold = cell.source.strip("\n").splitlines()
    magic = scaffold[0].split()[0] if scaffold and scaffold[0].startswith("%%") else None
    solution = _solution_lines(ex, docker_cell=magic == "%%docker") if magic in (None, "%%docker") else None
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
    q = QUESTIONS[ex.id]
    lines = [f"**Question {ex.id}** · {q.prompt}", "", *(f"- **{k})** {text}" for k, text in q.choices), "",
             f'Answer in the cell below with the letter of your choice: `labkit.quiz("{ex.id}", answer="…")` '
             "(a click in the quiz is kept for this session only; the grader reads the cell)."]
    return new_markdown_cell("\n".join(lines), metadata={"nbgrader": _meta(f"{ex.id}-question", locked=True)})


def _check_call(source: str) -> str | None:
    m = re.fullmatch(r"""\s*labkit\.check\(\s*["']([\w-]+)["']\s*\)\s*""", source)
    return m.group(1) if m else None


def convert(nb: nbformat.NotebookNode, lesson: str) -> nbformat.NotebookNode:
    """The released lesson notebook as an nbgrader source notebook (a new notebook; nb is left as it was)."""
    nb = cleared(nbformat.from_dict(nb))
    exercises = [c.metadata.get("labkit", {}).get("exercise") for c in nb.cells]
    for ex_id in filter(None, exercises):
        if ex_id not in EXERCISES or EXERCISES[ex_id].lesson != lesson:
            raise CommandError(f"labkit export: lesson {lesson}'s notebook has exercise {ex_id!r}, which the course "
                               "does not define for it\n", 1)
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
            if any(c.cell_type == "code" and _check_call(c.source) == ex_id for c in nb.cells[i + 1:]):
                waiting.append(ex_id)
            else:
                out.append(test_cell(ex))
        elif _check_call(cell.source) in waiting:
            ex_id = _check_call(cell.source)
            waiting.remove(ex_id)
            out.append(test_cell(EXERCISES[ex_id]))
        else:
            setup += 1
            cell.metadata.pop("nbgrader", None)
            cell.metadata["nbgrader"] = _meta(f"setup-{setup}", locked=True)
            out.append(cell)
    nb.cells = out
    return nb


def _lessons(wanted: list[str], course: Path) -> dict[str, Path]:
    found = {}
    for key in wanted or sorted(LESSONS):
        key = key.zfill(2)
        paths = sorted(course.glob(f"{key}-*.ipynb"))
        if key not in LESSONS or len(paths) != 1:
            raise CommandError(f"labkit export: no lesson {key} in {course} (the lessons are {min(LESSONS)} to "
                               f"{max(LESSONS)})\n", 2)
        found[key] = paths[0]
    return found


def export(dest: Path, lessons: list[str] | None = None, course: Path = COURSE, force: bool = False) -> list[str]:
    """Write the lessons (all by default) as `dest/source/<assignment>/`, and `dest/nbgrader_config.py` when dest has
    none; returns what was done, a line each. An assignment folder already there is refused (replaced with
    force); nothing else in dest is touched."""
    chosen = _lessons(lessons or [], course)
    there = [p.stem for p in chosen.values() if (dest / "source" / p.stem).exists()]
    if there and not force:
        raise CommandError(f"labkit export: {dest / 'source'} already has {', '.join(there)}; add --force to replace "
                           "them\n", 1)
    if dest.exists() and not dest.is_dir():
        raise CommandError(f"labkit export: {dest} is not a folder\n", 1)
    lines = []
    for lesson, path in chosen.items():
        folder = dest / "source" / path.stem
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        nb = convert(nbformat.read(path, as_version=4), lesson)
        nbformat.validate(nb)
        nbformat.write(nb, folder / path.name)
        for name in SIDE_FILES:
            src = course / name
            if src.is_dir():
                shutil.copytree(src, folder / name, ignore=shutil.ignore_patterns(".*", "__pycache__"))
            elif src.is_file():
                shutil.copy2(src, folder / name)
        points = sum(e.points for e in EXERCISES.values() if e.lesson == lesson)
        lines.append(f"  source/{path.stem}/{path.name}: {points} point(s) in autograder tests")
    config = dest / "nbgrader_config.py"
    if not config.exists():
        config.write_text(CONFIG, encoding="utf-8")
        lines.append("  nbgrader_config.py: a comment as the code stub, 120 s per cell")
    elif STUB not in config.read_text(encoding="utf-8", errors="replace"):
        lines.append(f"  nbgrader_config.py kept as it is: add `c.ClearSolutions.code_stub = {{\"python\": \"{STUB}\"}}` "
                     "(a %%docker cell's stub must be a comment) and `c.Execute.timeout = 120`")
    return [f"labkit export nbgrader: {len(chosen)} assignment(s) in {dest}", *lines]
