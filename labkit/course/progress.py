"""`labkit.progress()`: per lesson, which exercises are done and the points; `labkit.score("14")`: one lesson's
exercises as one table with the total.

Read-only: exercises are judged with `checks.evaluate` (the grader's entry point), never `checks.check`, so
looking at your progress spends no hint. A lesson's lab exists only while you are in that lesson (each
`labkit.lesson(...)` rebuilds the lab), so an exercise passed once is remembered as done: in this session's
progress file (`$XDG_STATE_HOME/labkit/progress-<session>.json`, default `~/.local/state/labkit/`), shared by
every notebook of the session. Quizzes are judged from the recorded answers at any time; lab and answer exercises
of other lessons are judged when their lesson's lab is the current one, and otherwise shown as done or not yet.

What is wrong now is never shown as passed: a quiz whose current choice is wrong, or a recorded answer that was not
right when it was recorded (labkit.course.staleness notes which were), is not done, whatever passed before; only a
lab that moved on, or a looked-up value the lab has changed under, keeps an earlier pass.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from labkit import session
from labkit.course.answers import right_when_recorded
from labkit.course.catalog import EXERCISES, LESSONS
from labkit.course.checks import CheckResult, evaluate
from labkit.course.vocabulary import Context, Exercise


def _file() -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "labkit"
    return base / f"progress-{session.current().id}.json"


def passed_before() -> dict[str, int]:
    """Exercises passed earlier in this session: id -> points."""
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


def wrong_now(exercise: Exercise, answers: dict[str, str]) -> bool:
    """For a check that fails now: whether what the learner recorded is wrong now (so no earlier pass counts) — a
    quiz's choice, or a recorded answer that was not right when it was recorded — rather than a lab that moved on."""
    if exercise.kind == "quiz":
        return True
    return exercise.kind == "answer" and not right_when_recorded(answers, exercise.id)


def note(result: CheckResult | None, answers: dict[str, str] | None = None) -> None:
    """Remember a passing check (labkit.check and the views below call this); a failing one forgets an earlier pass
    when what was recorded is wrong now (`wrong_now`; `answers`: the session's unless given)."""
    if result is None:
        return
    done = passed_before()
    if result.passed:
        if done.get(result.exercise.id) == result.points:
            return
        done[result.exercise.id] = result.points
    elif result.exercise.id in done and wrong_now(result.exercise, session.current().answers if answers is None else answers):
        del done[result.exercise.id]
    else:
        return
    path = _file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(done, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # progress is a convenience: a read-only home must not break a check


def _context() -> Context:
    me = session.current()
    return Context(me.engine(), dict(me.answers), Path(os.getcwd()))


def judge_now(exercise: Exercise) -> bool:
    """True when the exercise can be judged now: a quiz always, others while their lesson's lab is current."""
    return exercise.kind == "quiz" or exercise.lesson == session.current().lesson


def status(exercise: Exercise, ctx: Context | None = None) -> tuple[str, int, str]:
    """(mark, points earned, why) for one exercise: ✔ passed, ✘ not yet, · not judged now and not done."""
    earlier = passed_before().get(exercise.id)
    ctx = ctx or _context()
    if judge_now(exercise):
        result = evaluate(exercise.id, ctx)
        note(result, ctx.answers)
        if result.passed:
            return "✔", result.points, "passed"
        if earlier is not None and not wrong_now(exercise, ctx.answers):
            return "✔", earlier, "passed earlier (the lab has changed since)"
        return "✘", 0, next((found for _, ok, found in result.parts if not ok), "not yet")
    if earlier is not None and exercise.kind == "answer" and not right_when_recorded(ctx.answers, exercise.id):
        return "✘", 0, f"the answer recorded now is not the one that passed (run lesson {exercise.lesson} to check it)"
    if earlier is not None:
        return "✔", earlier, "passed earlier"
    return "·", 0, f"not done yet (run lesson {exercise.lesson} to do it)"


def lesson_table(lesson: str, ctx: Context | None = None) -> tuple[list[str], int, int]:
    """One lesson's exercises as table rows, with points earned and possible."""
    rows, got, total = [], 0, 0
    ctx = ctx or _context()
    for e in (e for e in EXERCISES.values() if e.lesson == lesson):
        mark, points, why = status(e, ctx)
        got, total = got + points, total + e.points
        rows.append(f"  {mark} {e.id:<18} {points}/{e.points}  {e.title} — {why}")
    return rows, got, total


def show_lesson(lesson: str) -> None:
    """Print one lesson's exercises as one table, and the total."""
    key = f"{int(lesson):02d}" if str(lesson).isdigit() else str(lesson)
    rows, got, total = lesson_table(key)
    print(f"Lesson {key} · {LESSONS.get(key, '')} — your score (judged now; no hints spent)")
    print("\n".join(rows) if rows else "  this lesson has no exercises")
    print(f"  total: {got}/{total} points")


def show() -> None:
    """Print, per lesson, the exercises done and the points, and the course total."""
    ctx = _context()
    lines = ["Your progress (✔ done, ✘ not yet, · not done; judged now where the lab allows; no hints spent)"]
    got_all = total_all = 0
    for key, title in LESSONS.items():
        exercises = [e for e in EXERCISES.values() if e.lesson == key]
        if not exercises:
            lines.append(f"{key}  {title:<40} no exercises")
            continue
        marks = [(e, *status(e, ctx)) for e in exercises]
        got = sum(points for _, _, points, _ in marks)
        total = sum(e.points for e in exercises)
        got_all, total_all = got_all + got, total_all + total
        done = " ".join(f"{mark}{e.id}" for e, mark, _, _ in marks)
        lines.append(f"{key}  {title:<40} {got:>2}/{total:<2} {done}")
    lines.append(f"total {'':<40} {got_all:>2}/{total_all:<2} points")
    print("\n".join(lines))
