"""`labkit grade … --nbgrader-course DIR`: labkit's grades in an nbgrader course, so that nbgrader's `export`
and formgrader show them and `release_feedback` hands labkit's feedback out.

- **The gradebook.** Through nbgrader's own API (`nbgrader.api.Gradebook`, `DIR/gradebook.db`): for each graded
  submission of nbgrader's layout whose assignment nbgrader knows (`nbgrader generate_assignment` put it there,
  from `labkit export nbgrader`'s source), the student and the submission are made when missing, and each
  exercise's points become the auto score of the grade cell of that id in that notebook (the export's test
  cells carry the exercise ids). Hidden checks have no cell there: they stay in labkit's reports. A submission
  labkit could not grade gets no score: its cells are marked as needing a manual grade (nbgrader's export counts
  an empty score as 0; formgrader shows it to be graded by hand).
- **Releasable feedback.** `DIR/feedback/<student>/<assignment>/<notebook>.html` is labkit's feedback page, with
  the `timestamp.txt` and `submission_secret.txt` nbgrader's `collect` left in `DIR/submitted/<student>/
  <assignment>/` (release_feedback names the released file after the secret). A feedback folder is written only
  when it is new or labkit wrote it (labkit.grading.outdir keeps its list there): nbgrader's own
  `generate_feedback` output, or anything else labkit did not write, is left as it is and said so.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from labkit.course.regular import read_regular
from labkit.errors import CommandError
from labkit.grading.feedback import feedback_html
from labkit.grading.outdir import OutDir
from labkit.grading.report import safe_name
from labkit.grading.text import clean_line

SIDE_FILES = ("timestamp.txt", "submission_secret.txt")  # what release_feedback reads beside the page


def check(course: Path) -> None:
    """Refuse, in one line and before any grading, a course this cannot write into."""
    try:
        import nbgrader.api  # noqa: F401
    except ImportError:
        raise CommandError("labkit grade: --nbgrader-course needs nbgrader in labkit's environment "
                           "(pip install nbgrader)\n", 2) from None
    if not (course / "gradebook.db").is_file():
        raise CommandError(clean_line(f"labkit grade: --nbgrader-course {course} has no gradebook.db; run nbgrader "
                                      "generate_assignment there first") + "\n", 2)


@contextlib.contextmanager
def _alembic_on_path() -> Iterator[None]:
    """nbgrader's Gradebook runs the `alembic` command: let it find the one of this environment."""
    before = os.environ.get("PATH", "")
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + before
    try:
        yield
    finally:
        os.environ["PATH"] = before


class NotWritten(Exception):
    """Why one submission's grades or feedback could not go into the course (said in one line, never fatal)."""


def _notebook(assignment, result: dict) -> str:
    """The nbgrader notebook a result grades: its file's name when the assignment has it, else the assignment's
    only notebook."""
    names = [nb.name for nb in assignment.notebooks]
    stem = Path(result.get("path") or "").stem
    if stem in names or len(names) == 1:
        return stem if stem in names else names[0]
    raise NotWritten(f"{result['learner']}/{assignment.name}: which of the assignment's notebooks it is cannot be told")


def write_grades(gb, result: dict) -> str:
    """One submission's grades into an open nbgrader Gradebook; returns the notebook they went to."""
    from nbgrader.api import MissingEntry

    learner, name = result["learner"], result.get("assignment")
    if not name:
        raise NotWritten(f"{learner}: not in nbgrader's layout (submitted/<student>/<assignment>/)")
    try:
        assignment = gb.find_assignment(name)
    except MissingEntry:
        raise NotWritten(f"{learner}/{name}: nbgrader has no assignment {name} (run nbgrader generate_assignment "
                         f"{name})") from None
    notebook = _notebook(assignment, result)
    gb.update_or_create_student(learner)
    gb.update_or_create_submission(name, learner, **({"timestamp": result["timestamp"]} if result.get("timestamp")
                                                     else {}))
    graded = not result.get("error")
    for ex in result["exercises"]:
        if ex.get("hidden"):
            continue
        try:
            grade = gb.find_grade(ex["id"], notebook, name, learner)
        except MissingEntry:
            continue
        grade.auto_score = float(ex["points"]) if graded else None
        grade.needs_manual_grade = not graded or grade.manual_score is not None
    gb.db.commit()
    return notebook


def write_feedback(course: Path, result: dict, notebook: str) -> None:
    """One submission's feedback page where nbgrader's release_feedback takes it."""
    learner, name = result["learner"], result["assignment"]
    if any(safe_name(part) != part for part in (learner, name, notebook)):
        raise NotWritten(f"{learner}/{name}: no feedback folder (its names are not plain file names)")
    submitted = course / "submitted" / learner / name
    side = {}
    for file in SIDE_FILES:
        try:
            side[file] = read_regular(str(submitted / file), 4096)
        except OSError:
            raise NotWritten(f"{learner}/{name}: no {file} in {submitted} (nbgrader's collect leaves one); feedback "
                             "not released") from None
    where = course / "feedback" / learner / name
    try:
        folder = OutDir(where)
    except CommandError:
        raise NotWritten(f"{learner}/{name}: {where} holds files labkit did not write; left as it is") from None
    try:
        folder.write(f"{notebook}.html", feedback_html(result))
        for file, data in side.items():
            folder.write(file, data)
    finally:
        folder.close()


def write(course: Path, results: list[dict]) -> list[str]:
    """labkit's results into the nbgrader course: grades, then feedback; returns what was done and what was not,
    a line each."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    skipped: list[str] = []
    written: list[tuple[dict, str]] = []
    with _alembic_on_path(), warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission, as in its own autograde
        with Gradebook(f"sqlite:///{(course / 'gradebook.db').resolve()}") as gb:
            for r in results:
                try:
                    written.append((r, write_grades(gb, r)))
                except NotWritten as why:
                    skipped.append(str(why))
    released = 0
    for r, notebook in written:
        try:
            write_feedback(course, r, notebook)
            released += 1
        except NotWritten as why:
            skipped.append(str(why))
    lines = [f"labkit grade: nbgrader course {course}: {len(written)} submission(s) in gradebook.db, "
             f"{released} feedback page(s) ready for nbgrader release_feedback"]
    return [clean_line(line) for line in lines + [f"  not written: {why}" for why in skipped]]
