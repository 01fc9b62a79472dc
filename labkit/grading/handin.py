"""One hand-in per learner and assignment: which notebook of an assignment folder (`submitted/<learner>/<assignment>/`,
nbgrader's layout) is graded, and which are only listed.

A learner's folder often holds more than the lesson: JupyterLab's `Untitled.ipynb`, a `…-Copy1.ipynb` made by
"Duplicate", checkpoints in `.ipynb_checkpoints/`. Exactly one notebook per folder is graded, never one as another
learner:

1. the notebook named as the lesson was released (`05-container-to-container.ipynb`, the file in the course's
   `notebooks/`), directly in the folder;
2. else, when the folder holds one notebook (checkpoints aside), that one, and the report says so;
3. else, when exactly one of them is neither untitled, a copy nor a checkpoint, that one, and the report says so;
4. else none: the submission is reported not graded, naming the notebooks found and how to pick one (name the
   file to `labkit grade` beside the folder: a file named on the command line is the hand-in of its folder).

Every other notebook in the folder is listed with the result (`extra_files`, and a note in the feedback).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from labkit import coursefiles
from labkit.course.regular import read_regular

COURSE = coursefiles.course_dir()
CHECKPOINTS = ".ipynb_checkpoints"
STRAY = re.compile(r"(^untitled[\w .-]*|-copy\d*|-checkpoint)\.ipynb$", re.IGNORECASE)
TIMESTAMP = "timestamp.txt"  # what nbgrader's collect leaves in a submission folder


def released_name(lesson: str | None, course: Path = COURSE) -> str | None:
    """The file name the lesson's notebook was released under (`05-container-to-container.ipynb`), or None when the
    lesson is unknown or the course folder has no (or more than one) notebook for it."""
    if not lesson:
        return None
    found = sorted(course.glob(f"{lesson}-*.ipynb"))
    return found[0].name if len(found) == 1 else None


def is_stray(rel: str) -> bool:
    """True for a notebook a learner did not mean to hand in: untitled, a copy, or a checkpoint."""
    return CHECKPOINTS in Path(rel).parts or bool(STRAY.search(Path(rel).name))


@dataclass(frozen=True)
class Choice:
    """What an assignment folder hands in: the notebook graded (None: none could be chosen), a note saying why
    when it is not the released name (or why none was), and the other notebooks, relative to the folder."""

    graded: str | None
    note: str | None
    extras: tuple[str, ...]


def choose(notebooks: list[str], released: str | None) -> Choice:
    """The hand-in among an assignment folder's notebooks (paths relative to the folder, `/`-separated)."""
    expected = f"the lesson was released as {released}" if released else "no lesson is known for this folder"

    def pick(name: str, why: str | None) -> Choice:
        return Choice(name, why, tuple(n for n in notebooks if n != name))

    if released in notebooks:
        return pick(released, None)
    real = [n for n in notebooks if CHECKPOINTS not in Path(n).parts]
    if len(real) == 1:
        return pick(real[0], f"graded {real[0]}, the only notebook in its assignment folder ({expected})")
    meant = [n for n in real if not is_stray(n)]
    if len(meant) == 1:
        return pick(meant[0], f"graded {meant[0]}: no notebook is named as the lesson ({expected}), and every "
                              "other one is untitled or a copy")
    listed = ", ".join(real) or "none"
    return Choice(None, f"none of its notebooks was graded: {len(real)} notebook(s) and none named as the lesson "
                        f"({expected}): {listed}; name the one to grade on the command line, beside the folder",
                  tuple(notebooks))


def folder_notebooks(folder: Path) -> list[str]:
    """Every notebook file under an assignment folder, checkpoints included (relative, `/`-separated, sorted); a
    pipe, device or folder named `*.ipynb` is none."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.ipynb") if p.is_file())


def timestamp(folder: Path | None, notebook: Path) -> str | None:
    """When the hand-in was submitted, as nbgrader's export writes it (`2025-03-01 09:30:00.123456`, UTC): its
    assignment folder's timestamp.txt (nbgrader's collect leaves one), else (or for a file outside nbgrader's
    layout: folder None) the notebook's modification time; None when neither can be read."""
    try:
        text = read_regular(os.path.join(folder, TIMESTAMP), 200).decode("utf-8").strip() if folder else ""
    except (OSError, UnicodeDecodeError):
        text = ""
    when = parse_timestamp(text) if text else None
    if when is None:
        try:
            when = dt.datetime.fromtimestamp(os.lstat(notebook).st_mtime, dt.timezone.utc)
        except OSError:
            return None
    return str(when.astimezone(dt.timezone.utc).replace(tzinfo=None))


def parse_timestamp(text: str) -> dt.datetime | None:
    """A timestamp.txt's time (nbgrader's `%Y-%m-%d %H:%M:%S.%f %Z`, or ISO 8601), aware; None when it is neither.
    A time with no zone is UTC, as nbgrader takes it."""
    text = re.sub(r"\s*(UTC|GMT|Z)$", "", text.strip())
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
