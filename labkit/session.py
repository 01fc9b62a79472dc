"""One session: whose lab it is, which lesson it is at, what the learner answered, how many hints they saw.

A session is the unit of ownership. Everything labkit creates carries the session's id as the
`labkit.session` label, and every cleanup is scoped to a session, so nothing one session does can
remove what another created — another learner's lab on a shared daemon, the instructor's, another
submission being graded.

The default session is the user's own (`user-<login>`): every kernel, terminal and `labkit` command
of one user works on the same lab, and a kernel restart does not lose track of it. `LABKIT_SESSION`
names another (the grader gives each submission its own; the test suite has its own).

There is one current session per process (`current()`); everything that needs the engine, the labels,
the lesson or the answers asks it, instead of keeping module globals of its own.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from dataclasses import dataclass, field

from labkit.engines.base import Engine


def default_id() -> str:
    """The id of the user's own session: `user-<login name>` (letters, digits, . _ - only)."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = str(os.getuid())
    return "user-" + (re.sub(r"[^A-Za-z0-9_.-]", "_", login) or str(os.getuid()))


@dataclass
class Session:
    """A learner's (or a submission's) lab: its id, engine, lesson, recorded answers and hint attempts."""

    id: str
    engine_name: str = "auto"
    lesson: str | None = None
    answers_file: str | None = None  # where answers are also written (the grader reads them from outside)
    answers: dict[str, str] = field(default_factory=dict)
    attempts: dict[str, tuple[object, int]] = field(default_factory=dict)  # exercise -> (last verdict, hint shown)
    predictions: dict[str, str] = field(default_factory=dict)  # prediction id -> the learner's choice or text
    witnessed: list = field(default_factory=list)  # results shown since the last predict() or reveal()
    _engine: Engine | None = field(default=None, repr=False)
    _reason: str = field(default="", repr=False)

    @classmethod
    def from_env(cls) -> Session:
        """The session the environment describes (LABKIT_SESSION, LABKIT_ENGINE, LABKIT_LESSON, LABKIT_ANSWERS)."""
        from labkit.engines.select import requested

        return cls(id=os.environ.get("LABKIT_SESSION") or default_id(), engine_name=requested(),
                   lesson=os.environ.get("LABKIT_LESSON") or None,
                   answers_file=os.environ.get("LABKIT_ANSWERS") or None)

    # -- the engine -----------------------------------------------------------------------
    def engine(self) -> Engine:
        """The session's engine, chosen on first use (see labkit.engines.select)."""
        if self._engine is None:
            from labkit.engines.select import choose

            self._engine, self._reason = choose(self.engine_name)
        return self._engine

    def reason(self) -> str:
        """Why this engine runs, in one line."""
        self.engine()
        return f"labkit engine: {self._reason}"

    def use_engine(self, name: str | None = None, engine: Engine | None = None, reason: str = "") -> None:
        """Switch engine: by name (chosen on next use) or an engine object given by the caller."""
        from labkit.engines.select import requested

        self.engine_name = requested(name) if name else self.engine_name
        self._engine, self._reason = engine, reason or (f"{engine.name} (given by the caller)" if engine else "")

    # -- ownership ------------------------------------------------------------------------
    def labels(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The labels labkit puts on everything this session creates."""
        from labkit.ownership import LESSON_LABEL, SESSION_LABEL

        out = dict(extra or {})
        out[SESSION_LABEL] = self.id
        if self.lesson:
            out[LESSON_LABEL] = self.lesson
        return out

    # -- the learner's progress -----------------------------------------------------------
    def start_lesson(self, lesson: str, exercise_ids: list[str]) -> None:
        """Enter a lesson: label what follows with it and forget the hints shown for its exercises."""
        self.lesson = lesson
        for key in exercise_ids:
            self.attempts.pop(key, None)

    def hint_for(self, exercise_id: str, verdict: object) -> tuple[int, bool]:
        """Which hint a failed check earns: (0-based hint number, -1 for none yet; whether it repeats the last one).

        Hints advance per real attempt: a check whose verdict is the one it gave last time (Run All with nothing
        changed) repeats the hint already shown. The first check of a lesson run sees the lab as the lesson left
        it, so it spends none; asking again with nothing changed then shows the first one."""
        last = self.attempts.get(exercise_id)
        if last is None:
            self.attempts[exercise_id] = (verdict, -1)
            return -1, False
        seen, shown = last
        if verdict == seen and shown >= 0:
            return shown, True
        self.attempts[exercise_id] = (verdict, shown + 1)
        return shown + 1, False

    def record_answer(self, question: str, value: object) -> None:
        """Record the learner's answer to one question (replacing an earlier one); mirrored to answers_file."""
        self.answers[str(question)] = "" if value is None else str(value).strip()
        if self.answers_file:
            tmp = self.answers_file + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.answers, f, indent=1, sort_keys=True)
            os.replace(tmp, self.answers_file)


_current: Session | None = None


def current() -> Session:
    """This process's session (made from the environment on first use)."""
    global _current
    if _current is None:
        _current = Session.from_env()
    return _current


def activate(session: Session | None) -> Session | None:
    """Make `session` this process's current one (None: made afresh from the environment next time); the previous."""
    global _current
    previous, _current = _current, session
    return previous
