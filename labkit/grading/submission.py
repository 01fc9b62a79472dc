"""What a submission is: the notebook file, whose it is, which lesson (as the instructor says), and what its
exercise cells say (only ever compared with the released lesson, never trusted)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from labkit.course.catalog import EXERCISES, LESSONS, for_lesson
from labkit.course.regular import read_regular


@dataclass
class Submission:
    """One notebook to grade."""

    path: Path
    learner: str
    notebook: nbformat.NotebookNode | None = None
    error: str | None = None
    lesson: str | None = None
    notes: list[str] = field(default_factory=list)


def cell_exercise(cell: dict) -> tuple[str | None, object]:
    """The exercise id and points a cell's metadata claims (labkit's, else nbgrader's for a graded cell: a read-only
    or answer cell of an nbgrader course, `labkit export nbgrader`'s too, claims no points)."""
    meta = cell.get("metadata") or {}
    lk = meta.get("labkit") if isinstance(meta.get("labkit"), dict) else {}
    nbg = meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}
    ex_id = lk.get("exercise") or (nbg.get("grade_id") if nbg.get("grade") else None)
    points = lk.get("points", nbg.get("points"))
    return (ex_id if isinstance(ex_id, str) else None), points


LESSON_IN_NAME = re.compile(r"(?<!\d)(\d{2})(?!\d)")


def lesson_from_name(name: str) -> str | None:
    """The lesson a folder or file name given by the instructor names ("05", "05-container-to-container",
    "alice-05"); None when it names none (or more than one)."""
    found = {m.group(1) for m in LESSON_IN_NAME.finditer(name) if m.group(1) in LESSONS}
    return found.pop() if len(found) == 1 else None


def load(path: Path, learner: str, lesson: str | None) -> Submission:
    """Read a submission of the given lesson (the instructor's word, never the notebook's metadata); an
    unreadable file becomes a submission with a one-line error, not an exception."""
    sub = Submission(path, learner, lesson=lesson)
    try:
        text = read_regular(str(path)).decode("utf-8")  # a pipe or a device is refused at once, never waited on
    except (OSError, UnicodeDecodeError) as err:
        sub.error = f"the file cannot be read ({getattr(err, 'strerror', None) or err})"
    else:
        try:
            sub.notebook = nbformat.reads(text, as_version=4)
        except Exception as err:  # noqa: BLE001 - nbformat raises many kinds for a broken file
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            sub.error = f"not a readable notebook ({first})"
    if sub.lesson is None and sub.error is None:
        sub.error = ("the grader was not told which lesson this is: pass --lesson NN, or lay submissions out as "
                     "submitted/<learner>/<NN-assignment>/")
    if sub.notebook is not None and sub.lesson:
        sub.notes.extend(metadata_notes(sub.notebook, sub.lesson))
    return sub


def metadata_notes(nb: nbformat.NotebookNode, lesson: str) -> list[str]:
    """What differs between the submission's exercise cells and the released lesson (points edited, cells gone)."""
    notes, seen = [], set()
    for cell in nb.cells:
        ex_id, points = cell_exercise(cell)
        if ex_id is None:
            continue
        seen.add(ex_id)
        released = EXERCISES.get(ex_id)
        if released is None or released.lesson != lesson:
            notes.append(f"a cell claims to be exercise {ex_id!r}, which lesson {lesson} does not have; ignored")
        elif points != released.points:
            notes.append(f"exercise {ex_id}: the cell's metadata says {points!r} points; the released "
                         f"{released.points} count")
    for ex in for_lesson(lesson):
        if ex.id not in seen:
            notes.append(f"exercise {ex.id}: its cell is missing or lost its metadata; graded from the lab anyway")
    return notes
