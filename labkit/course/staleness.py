"""Whether a looked-up answer was right when it was recorded, so its check can tell "stale" from "wrong".

A value looked up in the lab (an address, a listen address) can go stale: right when recorded, and the lab has
changed since (a container re-created, the lesson set up again). `labkit.answer` notes, with the answers, which
looked-up answers matched the lab at the moment they were recorded (the key RIGHT_WHEN_RECORDED of labkit.course.answers,
mirrored to the answers file, so the grader reads the same note). The note never holds a right value, only whether the learner's
own value was right; a forged note changes only the wording of a failing check, never a verdict.
"""

from __future__ import annotations

import os
from pathlib import Path

from labkit import session
from labkit.course.answers import RIGHT_WHEN_RECORDED
from labkit.course.catalog import EXERCISES
from labkit.course.checks import evaluate_exercise
from labkit.course.vocabulary import Context
from labkit.errors import LabkitError


def note(question: str) -> None:
    """After an answer to `question` is recorded: note whether it matches the lab now (looked-up answers only)."""
    exercise = EXERCISES.get(question)
    if exercise is None or exercise.kind != "answer":
        return
    me = session.current()
    right = {q for q in (me.answers.get(RIGHT_WHEN_RECORDED) or "").split(",") if q and q != question}
    try:
        if evaluate_exercise(exercise, Context(me.engine(), dict(me.answers), Path(os.getcwd()))).passed:
            right.add(question)
    except LabkitError:
        pass  # no engine to ask: nothing is noted, and the check judges the value alone
    me.record_answer(RIGHT_WHEN_RECORDED, ",".join(sorted(right)))
