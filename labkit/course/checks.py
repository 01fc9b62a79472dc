"""`labkit.check("01-network")`: run an exercise's check and say what passed, what did not, and the hint that fits.

The mistake the check found chooses the hint: a failing part whose finding names a near miss carries the hint for
that mistake (labkit.course.nearmiss.Miss); with none, the exercise's own hints apply, which are written for an
exercise not yet done. Every failing check gives a hint, the first one too; each further failing check gives the
next one of the same ladder (a mistake's hint — for a wrong quiz choice, the hint for its misconception, then the
quiz's second hint — or the exercise's hints in order), then a solution. A different
mistake starts its own ladder; a lesson's set-up (`labkit.lesson`) forgets its exercises' ladders. What a check
says about the next run ("run the check again for another hint") is what the next run does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from labkit import session
from labkit.course.catalog import EXERCISES
from labkit.course.nearmiss import hint_of
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


def fitting_hints(exercise: Exercise, parts: list[Part]) -> tuple[str, ...]:
    """The hints for what the check found: the hint of the first failing part that names a mistake, else the
    exercise's own hints (for an exercise not done yet, or a mistake no near miss names)."""
    for _, ok, found in parts:
        if not ok and hint_of(found):
            if exercise.question is not None:  # a wrong quiz choice: its misconception, then the idea to reason with
                return (hint_of(found), *exercise.hints[1:])
            return (hint_of(found),)
    return exercise.hints


def guidance(exercise: Exercise, hints: tuple[str, ...], step: int) -> str:
    """What to try next at the `step`-th failing check (0-based) of a ladder of hints: hint `step`, or after the last
    hint the solution. The line after a hint says truly what the next failing check gives."""
    if step < len(hints):
        label = f"hint {step + 1}/{len(hints)}" if len(hints) > 1 else "hint"
        more = "run the check again for another hint" if step + 1 < len(hints) else "run the check again to see a solution"
        return f"  {label}: {hints[step]}\n  ({more})"
    solution = "\n".join("    " + line for line in exercise.solution.splitlines())
    return f"  a solution (type it yourself, then run the check again):\n{solution}"


def next_guidance(exercise: Exercise, parts: list[Part], ladders: dict) -> str:
    """The guidance for this failing check, one step further along its ladder than the last failing check of the
    same exercise on the same ladder; `ladders` (the session's, exercise id -> (ladder's first hint, steps taken))
    is updated. A different mistake starts its own ladder at its first hint."""
    hints = fitting_hints(exercise, parts)
    key = hints[0] if hints else ""
    last = ladders.get(exercise.id)
    step = last[1] if isinstance(last, tuple) and len(last) == 2 and last[0] == key and isinstance(last[1], int) else 0
    ladders[exercise.id] = (key, step + 1)
    return guidance(exercise, hints, step)


def check(exercise_id: str) -> CheckResult:
    """Check one exercise against the lab as it is now; a failing check comes with the next hint."""
    if exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise CommandError(f"labkit: there is no exercise {exercise_id!r}; the exercises are: {known}\n", 1)
    me = session.current()
    ctx = Context(me.engine(), dict(me.answers), Path(os.getcwd()))
    result = evaluate(exercise_id, ctx)
    if not result.passed:
        result.guidance = next_guidance(result.exercise, result.parts, me.attempts)
    return result


def quiz_feedback(exercise_id: str, choice: str) -> str:
    """What a quiz widget says about a choice: "Right." and why, or "Not quite." and the hint for that choice's
    misconception (else the quiz's first hint) — the hint `labkit.check` gives first for the same choice, so the two
    never point different ways."""
    ex = EXERCISES[exercise_id]
    if ex.question is not None and choice == ex.question.correct:
        return "Right. " + ex.question.why
    fitting = ex.question.mistake(choice) if ex.question is not None else ""
    return "Not quite. " + (fitting or (ex.hints[0] if ex.hints else ""))
