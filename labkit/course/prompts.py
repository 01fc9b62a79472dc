"""What each exercise asks, said so that it stands on its own: for a page away from the notebook (the grader's
feedback), where "the cell above" or "this lesson's experiment" point at nothing.

Each lesson module writes its exercises' tasks and questions (labkit.course.lessons). `prompt(id)` is the task (a
lab or answer exercise) or the question (a quiz), with what the learner needs of the lesson's context; `choices(id)`
a quiz's choices; `standalone_hint(id)` the hint to show there. A quiz's first hint says where in the lesson the
answer can be seen (labkit.course.vocabulary.quiz), so the page shows its second, the idea to reason with; every
other exercise's first hint already stands alone. Text in `backticks` is code.
"""

from __future__ import annotations

from labkit.course.catalog import EXERCISES


def prompt(exercise_id: str) -> str | None:
    """What a released exercise asks, standing alone (a quiz's question); None for an id the course lacks."""
    ex = EXERCISES.get(exercise_id)
    if ex is None:
        return None
    if ex.kind == "quiz" and ex.question is not None:
        return ex.question.prompt
    return ex.task or ex.title


def choices(exercise_id: str) -> tuple[tuple[str, str], ...]:
    """A quiz's choices as (key, text); none for any other exercise."""
    ex = EXERCISES.get(exercise_id)
    return ex.question.choices if ex is not None and ex.kind == "quiz" and ex.question is not None else ()


def standalone_hint(exercise_id: str) -> str | None:
    """The first hint that makes sense away from the notebook (a quiz's second); None for an id the course lacks."""
    ex = EXERCISES.get(exercise_id)
    if ex is None:
        return None
    if ex.kind == "quiz" and len(ex.hints) > 1:
        return ex.hints[1]
    return ex.hints[0] if ex.hints else ""
