"""What `labkit export nbgrader` and `labkit export otter` both do with the released lessons: choose them, read
them (cleared, their exercises checked against the course), split an exercise's scaffold from its solution, show
a quiz's question as markdown, and copy the files the lessons use beside each exported notebook."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat

from labkit.admin.workspace import cleared
from labkit.course.catalog import EXERCISES, LESSONS, QUESTIONS
from labkit.course.vocabulary import Exercise
from labkit.errors import CommandError

SIDE_FILES = ("assets", "cheatsheet.md")  # what the lessons use or link to, beside each notebook


def chosen_lessons(wanted: list[str], course: Path) -> dict[str, Path]:
    """The released notebook of each lesson asked for (all by default), by lesson number; one line naming the
    lessons there are when one is not."""
    found = {}
    for key in wanted or sorted(LESSONS):
        key = key.zfill(2)
        paths = sorted(course.glob(f"{key}-*.ipynb"))
        if key not in LESSONS or len(paths) != 1:
            raise CommandError(f"labkit export: no lesson {key} in {course} (the lessons are {min(LESSONS)} to "
                               f"{max(LESSONS)})\n", 2)
        found[key] = paths[0]
    return found


def read_lesson(nb: nbformat.NotebookNode, lesson: str) -> tuple[nbformat.NotebookNode, list[str | None]]:
    """A cleared copy of the lesson's notebook and each cell's exercise id (None for other cells); refuses an
    exercise the course does not define for that lesson."""
    nb = cleared(nbformat.from_dict(nb))
    exercises = [c.metadata.get("labkit", {}).get("exercise") for c in nb.cells]
    for ex_id in filter(None, exercises):
        if ex_id not in EXERCISES or EXERCISES[ex_id].lesson != lesson:
            raise CommandError(f"labkit export: lesson {lesson}'s notebook has exercise {ex_id!r}, which the course "
                               "does not define for it\n", 1)
    return nb, exercises


def check_call(source: str) -> str | None:
    """The exercise id of a cell that is only `labkit.check("<id>")`, else None."""
    m = re.fullmatch(r"""\s*labkit\.check\(\s*["']([\w-]+)["']\s*\)\s*""", source)
    return m.group(1) if m else None


def checked_later(cells: list[nbformat.NotebookNode], ex_id: str) -> bool:
    """Whether one of these cells is the lesson's own `labkit.check` of the exercise."""
    return any(c.cell_type == "code" and check_call(c.source) == ex_id for c in cells)


def split_answer(cell: nbformat.NotebookNode, ex: Exercise) -> tuple[list[str], list[str] | None]:
    """An exercise cell's scaffold lines, and the course's solution as lines that can follow them in the same cell:
    in a %%docker cell, the docker commands of its `%docker …` lines. None when the solution cannot go in that cell
    (the scaffold is another cell magic, or the solution is more than docker commands): it needs a cell of its own."""
    scaffold = cell.source.strip("\n").splitlines()
    magic = scaffold[0].split()[0] if scaffold and scaffold[0].startswith("%%") else None
    lines = ex.solution.strip("\n").splitlines()
    if magic is None:
        return scaffold, lines
    if magic != "%%docker" or not all(line.startswith("%docker ") for line in lines if line.strip()):
        return scaffold, None
    return scaffold, [line[len("%docker "):] for line in lines if line.strip()]


def question_markdown(ex: Exercise) -> str:
    """A quiz's question and choices as markdown, and how to answer so that a grader reading the cell sees it."""
    q = QUESTIONS[ex.id]
    lines = [f"**Question {ex.id}** · {q.prompt}", "", *(f"- **{k})** {text}" for k, text in q.choices), "",
             f'Answer in the cell below with the letter of your choice: `labkit.quiz("{ex.id}", answer="…")` '
             "(a click in the quiz is kept for this session only; the grader reads the cell)."]
    return "\n".join(lines)


def lesson_points(lesson: str) -> int:
    """The points of a lesson's exercises."""
    return sum(e.points for e in EXERCISES.values() if e.lesson == lesson)


def copy_side_files(course: Path, folder: Path) -> None:
    """The course's files the lessons use (assets/, the cheat sheet) into folder."""
    for name in SIDE_FILES:
        src = course / name
        if src.is_dir():
            shutil.copytree(src, folder / name, ignore=shutil.ignore_patterns(".*", "__pycache__"))
        elif src.is_file():
            shutil.copy2(src, folder / name)


def fresh_folders(dest: Path, under: str, names: list[str], force: bool) -> list[Path]:
    """Make each `dest/under/<name>` folder, empty; refuses, before touching anything, folders already there
    (replaced with force) and a dest that is not a folder."""
    base = dest / under
    folders = [base / name for name in names]
    there = [f.name for f in folders if f.exists() or f.is_symlink()]
    if there and not force:
        raise CommandError(f"labkit export: {base} already has {', '.join(there)}; add --force to replace them\n", 1)
    if dest.exists() and not dest.is_dir():
        raise CommandError(f"labkit export: {dest} is not a folder\n", 1)
    for folder in folders:
        if folder.is_symlink() or folder.is_file():
            folder.unlink()
        elif folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    return folders
