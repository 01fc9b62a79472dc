"""`labkit export otter DIR`: the released lessons as Otter-Grader assignment notebooks, which Otter's own `otter
assign` turns into a student notebook and an autograder that `otter run` (or `otter grade`) grades.

Each lesson becomes `DIR/<NN-name>/<NN-name>.ipynb` (the name it was released under), in Otter's notebook format,
with the course's `assets/` (which `labkit.lesson` builds the lab from) and cheat sheet beside it, listed as the
assignment's files so that the student folder and the autograder have them too. In the notebook:

- a raw `# ASSIGNMENT CONFIG` cell: the assignment's name, its files, `labkit-netcourse` of this version as the
  autograder's requirement, exception-based tests, Otter's init, check and export cells (the export makes the
  zip without a PDF and without grading it again: that would build the lab a second time beside the learner's),
  and no run of the tests by `otter assign` (that would build the lesson's lab on the instructor's engine);
- each exercise is a question (`# BEGIN QUESTION`, name: the exercise id, points: labkit's points) whose
  solution block is the exercise cell: its scaffold stays, and the course's solution sits between
  `# BEGIN SOLUTION NO PROMPT` and `# END SOLUTION`, lines that Otter removes from the student notebook whole
  and that a `%%docker` cell skips as comments (Otter's inline `# SOLUTION` marker, or a block without NO PROMPT,
  would leave a line behind that `%%docker` runs as a docker command). A scaffold that is another cell magic
  (lesson 09's `%%writefile`) stays whole, and the solution goes in a cell of its own after it;
- the question's test (`# BEGIN TESTS`) runs `labkit.check("<id>")`, prints what it says and asserts that it
  passed. Otter checks it where the lesson's own `labkit.check("<id>")` cell was (the question runs to there:
  lesson 09's check comes after the rebuild), or right after the answer; that cell itself is left out;
- a quiz's question and choices are a markdown cell at the top of its question (the released lesson shows them
  only as the output of `labkit.quiz`);
- every other code cell (the lesson's set-up and experiments, which build the lab the checks read) stays,
  marked not editable and not deletable;
- stored outputs, execution counts and widget state are cleared.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

from labkit.admin.export_lessons import (
    SIDE_FILES,
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
from labkit.version import __version__

BEGIN, END = "# BEGIN SOLUTION NO PROMPT", "# END SOLUTION"
DISTRIBUTION = "labkit-netcourse"  # this project's distribution: what the autograder installs to run the checks
# What Otter reads in any line of a notebook (solution, ignore, prompt and seed markers, test configs, fences).
OTTER_WORDS = ("SOLUTION", "IGNORE", "PROMPT", "# SEED", "TEST CONFIG", "```otter", "BEGIN QUESTION", "END QUESTION",
               "BEGIN TESTS", "END TESTS", "ASSIGNMENT CONFIG")
LOCKED = {"deletable": False, "editable": False}


def assignment_config(name: str) -> str:
    """The source of the notebook's `# ASSIGNMENT CONFIG` cell."""
    config = {
        "name": name,
        "requirements": [f"{DISTRIBUTION}=={__version__}"],
        "files": list(SIDE_FILES),
        "run_tests": False,
        "export_cell": {"pdf": False, "run_tests": False},
        "tests": {"ok_format": False},
    }
    lines = ["# ASSIGNMENT CONFIG"]
    for key, value in config.items():  # YAML's flow style is JSON's
        lines.append(f"{key}: {json.dumps(value)}")
    return "\n".join(lines)


def _block(kind: str, config: dict | None = None) -> nbformat.NotebookNode:
    lines = [f"# {kind}", *(f"{key}: {json.dumps(value)}" for key, value in (config or {}).items())]
    return new_raw_cell("\n".join(lines))


def _refuse_otter_words(where: str, text: str) -> None:
    for line in text.splitlines():
        if any(word in line for word in OTTER_WORDS):
            raise CommandError(f"labkit export: {where} has a line Otter would read as its own marker: "
                               f"{line.strip()[:60]}\n", 1)


def answer_cells(cell: nbformat.NotebookNode, ex: Exercise) -> list[nbformat.NotebookNode]:
    """The cells of an exercise's solution block: its scaffold with the solution between Otter's block markers;
    or, when the scaffold is a cell magic the solution cannot be written into, the scaffold as it is, then the
    solution in a cell of its own."""
    scaffold, solution = split_answer(cell, ex)
    _refuse_otter_words(f"exercise {ex.id}'s solution", ex.solution)
    meta = {"labkit": {"exercise": ex.id, "points": ex.points}, "tags": ["exercise"]}
    if solution is not None:
        return [new_code_cell("\n".join([*scaffold, BEGIN, *solution, END]), metadata=meta)]
    rest = [f"# Exercise {ex.id}: anything the cell above does not do yet (it may do it all)", BEGIN,
            *ex.solution.strip("\n").splitlines(), END]
    return [new_code_cell(cell.source, metadata=meta), new_code_cell("\n".join(rest))]


def test_cell(ex: Exercise) -> nbformat.NotebookNode:
    """The question's test (Otter's exception-based format): it runs labkit.check, prints what the check says
    and fails unless it passed."""
    name = "test_" + ex.id.replace("-", "_")
    source = "\n".join([
        f"def {name}():",
        f'    """labkit\'s check of exercise {ex.id}: its {ex.points} point(s) when the check passed."""',
        "    import labkit",
        "",
        f'    check = labkit.check("{ex.id}")',
        "    if check is not None:",
        "        print(check)  # what passed, what did not, and a hint",
        f'    assert check is not None and check.passed, "{ex.id}: " + (check.message if check is not None '
        'else "the check could not run")',
    ])
    return new_code_cell(source)


def question(ex: Exercise, cell: nbformat.NotebookNode,
             between: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """An exercise as an Otter question: its quiz question, its solution block, the lesson's cells up to its own
    check (between), its test."""
    cells = [_block("BEGIN QUESTION", {"name": ex.id, "points": ex.points})]
    if ex.kind == "quiz":
        cells.append(new_markdown_cell(question_markdown(ex)))
    cells += [_block("BEGIN SOLUTION"), *answer_cells(cell, ex), _block("END SOLUTION"), *between]
    return cells + [_block("BEGIN TESTS"), test_cell(ex), _block("END TESTS"), _block("END QUESTION")]


def convert(nb: nbformat.NotebookNode, lesson: str, name: str) -> nbformat.NotebookNode:
    """The released lesson notebook as an Otter assignment notebook named name (a new notebook; nb is left as
    it was)."""
    nb, exercises = read_lesson(nb, lesson)
    for n, cell in enumerate(nb.cells, 1):
        if cell.cell_type == "raw":
            raise CommandError(f"labkit export: lesson {lesson}'s cell {n} is a raw cell, which Otter reads as its "
                               "own\n", 1)
        _refuse_otter_words(f"lesson {lesson}'s cell {n}", cell.source)
    out = [new_raw_cell(assignment_config(name))]
    i = 0
    while i < len(nb.cells):
        cell, ex_id = nb.cells[i], exercises[i]
        i += 1
        if cell.cell_type != "code":
            out.append(cell)
        elif ex_id:
            between: list[nbformat.NotebookNode] = []
            if checked_later(nb.cells[i:], ex_id):
                end = next(j for j in range(i, len(nb.cells)) if check_call(nb.cells[j].source) == ex_id)
                if not any(exercises[i:end]):  # the question runs to the lesson's own check, which the test replaces
                    between = [_locked(c) for c in nb.cells[i:end]]
                    i = end + 1
            out += question(EXERCISES[ex_id], cell, between)
        else:
            out.append(_locked(cell))
    nb.cells = out
    return nb


def _locked(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    if cell.cell_type == "code":
        cell.metadata.update(LOCKED)
    return cell


def export(dest: Path, lessons: list[str] | None = None, course: Path = COURSE, force: bool = False) -> list[str]:
    """Write the lessons (all by default) as `dest/<assignment>/<assignment>.ipynb` with the course's files beside
    it; returns what was done, a line each. An assignment folder already there is refused (replaced with force);
    nothing else in dest is touched."""
    chosen = chosen_lessons(lessons or [], course)
    folders = fresh_folders(dest, "", [p.stem for p in chosen.values()], force)
    lines = []
    for (lesson, path), folder in zip(chosen.items(), folders, strict=True):
        nb = convert(nbformat.read(path, as_version=4), lesson, path.stem)
        nbformat.validate(nb)
        nbformat.write(nb, folder / path.name)
        copy_side_files(course, folder)
        lines.append(f"  {path.stem}/{path.name}: {lesson_points(lesson)} point(s) in Otter tests")
    return [f"labkit export otter: {len(chosen)} assignment(s) in {dest}", *lines,
            "  then, in each assignment's folder: otter assign <NN-name>.ipynb dist"]
