"""`labkit.check("01-network")`: run an exercise's check and say what passed, what did not, and a hint.

Each new attempt that still fails (the check's verdict changed) gives the next hint, and after the last hint
the solution; a check with nothing changed since the last one (Run All) repeats the hint it gave. The first
check after a lesson's set-up (`labkit.lesson`, which forgets the lesson's hints) spends none.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from labkit import session
from labkit.course.catalog import EXERCISES
from labkit.course.vocabulary import Context, Exercise, Part
from labkit.errors import CommandError, EngineError


@dataclass
class CheckResult:
    """The outcome of one check: the exercise, each part's verdict, and what to try next."""

    exercise: Exercise
    parts: list[Part]
    guidance: str = ""

    @property
    def passed(self) -> bool:
        """True when every part passed."""
        return bool(self.parts) and all(ok for _, ok, _ in self.parts)

    @property
    def points(self) -> int:
        """Points earned: all of them when every part passes, else none."""
        return self.exercise.points if self.passed else 0

    @property
    def message(self) -> str:
        """One line: the first failing part and what was found, or that it passed."""
        failing = next(((what, found) for what, ok, found in self.parts if not ok), None)
        if failing is None:
            return "passed"
        return f"not yet: {failing[0]} — {failing[1]}"

    def __str__(self) -> str:
        e = self.exercise
        head = "PASS" if self.passed else "FAIL"
        lines = [f"{head} {e.id} · {e.title} ({self.points}/{e.points} points)"]
        for what, ok, found in self.parts:
            lines.append(f"  {'✔' if ok else '✘'} {what}" + ("" if ok else f" — {found}"))
        if self.guidance:
            lines.append(self.guidance)
        return "\n".join(lines) + "\n"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))


def evaluate(exercise_id: str, ctx: Context) -> CheckResult:
    """Run one exercise's check in a context (no hints: the grader's and the tests' entry point)."""
    return evaluate_exercise(EXERCISES[exercise_id], ctx)


def evaluate_exercise(exercise: Exercise, ctx: Context) -> CheckResult:
    """Run a check (released or hidden); an engine that cannot be asked fails the check with its reason."""
    try:
        parts = exercise.check(ctx)
    except CommandError as err:
        parts = [("the lab can be inspected", False, err.stderr.strip())]
    except EngineError as err:
        parts = [("the lab can be inspected", False, err.message)]
    return CheckResult(exercise, parts)


def guidance(exercise: Exercise, attempt: int, repeated: bool = False) -> str:
    """The hint for the n-th failed attempt (0-based; -1 before any attempt); after the last hint, the solution."""
    if attempt < 0:
        return "  (do the exercise above, then run this check again: each attempt brings a hint)"
    if repeated:
        return "  nothing changed since your last check: " + guidance(exercise, attempt).lstrip()
    if attempt < len(exercise.hints):
        more = "run the check again for another hint" if attempt + 1 < len(exercise.hints) else \
            "run the check again to see a solution"
        return f"  hint {attempt + 1}/{len(exercise.hints)}: {exercise.hints[attempt]}\n  ({more})"
    solution = "\n".join("    " + line for line in exercise.solution.splitlines())
    return f"  a solution (type it yourself, then run the check again):\n{solution}"


def check(exercise_id: str) -> CheckResult:
    """Check one exercise against the lab as it is now; a failing check comes with the next hint."""
    if exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise CommandError(f"labkit: there is no exercise {exercise_id!r}; the exercises are: {known}\n", 1)
    me = session.current()
    ctx = Context(me.engine(), dict(me.answers), Path(os.getcwd()))
    result = evaluate(exercise_id, ctx)
    if not result.passed:
        result.guidance = guidance(result.exercise, *me.hint_for(exercise_id, tuple(result.parts)))
    return result
