"""One submission to one worker process (`python -m labkit.grading.worker`): its Job on the worker's stdin, its
GradeResult on the worker's stdout pipe, checked on arrival. A worker that overruns is killed with its boxes, one
that dies or answers nonsense still yields a result (not graded, and why). The local and the Dask runners both
grade each submission here (grade_one).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from labkit.grading.hidden import exercises_for
from labkit.grading.messages import GradeResult, GradeSettings, Job
from labkit.grading.text import clean_line, clean_text

MARGIN = 60.0  # seconds a worker gets beyond --timeout to start the lab, run the checks and clean up
RUNNING: set[subprocess.Popen] = set()  # the worker processes being waited for
WORKER = [sys.executable, "-m", "labkit.grading.worker"]  # reads a Job on stdin, answers a GradeResult on stdout


@dataclass(frozen=True)
class Item:
    """One notebook to grade, and what the instructor's layout says about it."""

    path: Path
    learner: str
    lesson: str | None
    assignment: str | None = None
    note: str | None = None  # which notebook of its assignment folder was graded and why, when not the released name
    extras: tuple[str, ...] = ()  # the folder's other notebooks, never graded (labkit.grading.handin)
    unchosen: bool = False  # none of its folder's notebooks could be chosen: not graded, `note` says why
    timestamp: str | None = None  # when it was handed in (nbgrader's timestamp.txt, else the file's time)


def not_graded(item: Item, hidden: list[str] | tuple[str, ...], why: str, shown_path: str | None = None) -> GradeResult:
    """The result of a submission that could not be graded: every exercise at 0 of its full points, and why."""
    return GradeResult.ungraded(clean_text(item.learner), clean_text(shown_path or str(item.path)), item.lesson,
                                item.assignment, exercises_for(item.lesson, hidden), clean_text(why))


def lost(item: Item, hidden: list[str] | tuple[str, ...], why: str, shown_path: str | None = None,
         grader_log: str | None = None) -> GradeResult:
    """An ungraded result that says nothing about the submission (interrupted, a worker lost): never kept, so
    the next run grades it again."""
    return not_graded(item, hidden, why, shown_path).as_lost(grader_log)


def stop_running() -> None:
    """Kill every worker process this grader is waiting for, with its boxes (an interrupted run)."""
    for proc in list(RUNNING):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def grade_one(item: Item, settings: GradeSettings, shown_path: str | None = None) -> GradeResult:
    """Grade one submission in a worker process; a worker that overruns or dies still yields a result. shown_path:
    the path the result names (the instructor's file, when item is a copy); else item's own."""
    job = Job(str(item.path.absolute()), shown_path or str(item.path.absolute()), item.learner, item.lesson,
              item.assignment, os.getpid(), settings)
    proc = subprocess.Popen(WORKER, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    RUNNING.add(proc)
    limit = settings.timeout + MARGIN
    try:
        out, err = proc.communicate(json.dumps(job.to_json()).encode(), timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its boxes die with it (--die-with-parent)
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        return not_graded(item, settings.hidden, f"grading ran longer than {limit:g} s (the --timeout given, "
                                                 f"{settings.timeout:g} s, plus {MARGIN:g} s for the lab and the "
                                                 "checks)", shown_path)
    finally:
        RUNNING.discard(proc)
    result, malformed = answer(out) if proc.returncode == 0 else (None, "")
    if result is None or result.learner != clean_text(item.learner):
        why = ("interrupted" if proc.returncode in (-signal.SIGINT, -signal.SIGTERM) else
               "the grader's worker was killed (SIGKILL: out of memory?)" if proc.returncode == -signal.SIGKILL else
               f"the grader's worker answered with a malformed result ({malformed})" if malformed else
               f"the grader's worker failed (exit code {proc.returncode})")
        return lost(item, settings.hidden, why, shown_path, clean_text(err[-2000:]))
    return result


def answer(out: bytes) -> tuple[GradeResult | None, str]:
    """The worker's answer as a GradeResult (its strings escaped), or None and one line saying what is wrong."""
    try:
        return GradeResult.from_json(json.loads(out)).settled(), ""
    except (ValueError, RecursionError) as err:  # MessageError is a ValueError, as is malformed JSON
        return None, clean_line(str(err))[:200] or type(err).__name__
