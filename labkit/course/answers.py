"""The learner's recorded answers (quiz choices and values they looked up), kept for checks and grading.

Answers belong to the session (labkit.session), which keeps them in its store on disk, so a kernel restart keeps
them (a learner's kernel only: a grading kernel's session starts empty). When the session has an answers file
(the grader sets LABKIT_ANSWERS), every answer is also written there, so the grader reads them from outside the
notebook's process.
"""

from __future__ import annotations

import json

from labkit import session
from labkit.course.regular import read_regular

RIGHT_WHEN_RECORDED = "labkit.right-when-recorded"  # comma-separated exercise ids (labkit.course.staleness notes them)
MOST = 16 << 20  # bytes of an answers file the grader reads at most (a class's answers take a few kilobytes)


def record(question: str, value: object) -> None:
    """Record the learner's answer to one question (replacing an earlier one)."""
    session.current().record_answer(question, value)


def get(question: str) -> str | None:
    """The recorded answer to a question, or None when there is none."""
    return session.current().answers.get(question)


def load(path: str) -> dict[str, str]:
    """Answers from an answers file (the grader's view); {} when it is missing, unreadable, larger than MOST
    bytes or not a regular file (a pipe, a link: never followed, never waited on; labkit.course.regular)."""
    try:
        data = json.loads(read_regular(path, MOST).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def right_when_recorded(answers: dict[str, str], question: str) -> bool:
    """Whether the answer recorded for `question` matched the lab at the moment it was recorded."""
    return question in (answers.get(RIGHT_WHEN_RECORDED) or "").split(",")
