"""Hidden checks: extra, grader-side checks an instructor keeps in a file learners never see.

    # hidden_checks.py (pass with `labkit grade … --hidden hidden_checks.py`)
    from labkit.grading.hidden import hidden_check

    @hidden_check("02-log", lesson="02", points=1, title="The server logged that it listens")
    def _(ctx):
        log = ctx.docker("logs server").stdout
        return [("server's log says it listens", "Server listening on port 3000" in log, "its log: " + log.strip())]
"""

from __future__ import annotations

import runpy
from collections.abc import Callable
from contextvars import ContextVar

from labkit.course.catalog import EXERCISES, for_lesson
from labkit.course.vocabulary import Context, Exercise, Part
from labkit.errors import CommandError

# the list the file being loaded registers into: set only while load() runs that file
_collecting: ContextVar[list[Exercise] | None] = ContextVar("labkit_hidden_checks", default=None)


def hidden_check(id: str, lesson: str, points: int, title: str, hints: tuple[str, ...] = ()):
    """Register a grader-side check for a lesson (a function of Context returning parts)."""
    def register(fn: Callable[[Context], list[Part]]) -> Callable[[Context], list[Part]]:
        found = _collecting.get()
        if found is None:
            raise CommandError("labkit: hidden checks are registered by `labkit grade --hidden FILE`, not imported\n", 2)
        found.append(Exercise(id, lesson, title, points, tuple(hints), "", fn, None, "hidden"))
        return fn

    return register


def load(paths: list[str]) -> list[Exercise]:
    """The hidden checks defined in these files; a broken file is a one-line error."""
    found: list[Exercise] = []
    token = _collecting.set(found)
    try:
        for path in paths:
            try:
                runpy.run_path(path)
            except Exception as err:  # noqa: BLE001 - the instructor's file: report it, do not crash
                raise CommandError(f"labkit grade: the hidden checks in {path} do not load "
                                   f"({type(err).__name__}: {err})\n", 2) from None
    finally:
        _collecting.reset(token)
    clash = [e.id for e in found if e.id in EXERCISES]
    if clash:
        raise CommandError(f"labkit grade: hidden check {clash[0]!r} has the id of a released exercise; rename it\n", 2)
    return found


def exercises_for(lesson: str | None, hidden_files: list[str] | tuple[str, ...]) -> list[Exercise]:
    """The released exercises of the lesson, then the instructor's hidden checks for it."""
    if not lesson:
        return []
    return for_lesson(lesson) + [h for h in load(list(hidden_files)) if h.lesson == lesson]
