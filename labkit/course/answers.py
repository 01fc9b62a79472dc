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


def forget_lesson(lesson: str, session_id: str | None = None) -> tuple[int, str]:
    """Forget, in a session's store on disk, the quiz choices, answers and predictions of one lesson ("09": every key
    "09-…"); (how many were forgotten, the store's path). The session is LABKIT_SESSION's, else the user's own — the
    one every kernel of theirs keeps (a kernel already running keeps what it read until its next labkit.lesson)."""
    import os

    sid = session_id or os.environ.get("LABKIT_SESSION") or session.default_id()
    path = session.store_path(sid)
    prefix = f"{lesson}-"
    if not os.path.lexists(path):
        return 0, path
    with session._locked(path):  # the lock every kernel of the session takes to write its store
        kept = session.read_store(path)
        gone = [k for part in kept.values() for k in part if k.startswith(prefix)]
        if not gone:
            return 0, path
        for part in kept.values():
            for key in [k for k in part if k.startswith(prefix)]:
                del part[key]
        right = kept["answers"].get(RIGHT_WHEN_RECORDED)
        if right is not None:
            kept["answers"][RIGHT_WHEN_RECORDED] = ",".join(q for q in right.split(",") if q and not q.startswith(prefix))
        tmp = f"{path}.{os.getpid()}.tmp"
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600), "w",
                       encoding="utf-8") as f:
            json.dump(kept, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    return len(gone), path
