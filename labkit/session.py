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

A session's answers (quiz choices, values looked up) and predictions live as long as its lab: they are kept in
its store on disk (`$XDG_STATE_HOME/labkit/answers-<session>.json`, default `~/.local/state/labkit/`, beside the
progress file), so a kernel restart keeps them and every kernel of the session reads the same ones. Each write
changes only its own key, under a lock, so two kernels of one session never undo each other's answers.

Only a learner's kernel has a store (`keeps_answers`): one a Jupyter server started for an open notebook (it
sets JPY_SESSION_NAME: JupyterLab, Notebook, a hub, Binder). A grading kernel's session (labkit grade sets
LABKIT_ANSWERS) has none, and neither has a notebook executed headless (nbclient, nbconvert, nbgrader's
autograde, `otter run`, nbval): it starts empty and holds only what the notebook's re-execution records, so a
learner's — or the instructor's own — stored answers are never graded, and grading never writes into them.
LABKIT_KEEP_ANSWERS=1 or 0 says otherwise (never for a grading kernel).
"""

from __future__ import annotations

import getpass
import json
import os
import re
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from labkit.engines.base import Engine


def default_id() -> str:
    """The id of the user's own session: `user-<login name>` (letters, digits, . _ - only)."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = str(os.getuid())
    return "user-" + (re.sub(r"[^A-Za-z0-9_.-]", "_", login) or str(os.getuid()))


STORE_MOST = 4 << 20  # bytes of a session's store read at most (a whole course's answers take a few kilobytes)


def state_dir() -> Path:
    """Where labkit keeps what outlives a kernel: `$XDG_STATE_HOME/labkit` (default `~/.local/state/labkit`)."""
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "labkit"


def store_path(session_id: str) -> str:
    """The file that keeps a session's answers and predictions."""
    return str(state_dir() / f"answers-{session_id}.json")


def read_store(path: str) -> dict[str, dict[str, str]]:
    """A store's answers and predictions ({"answers": {...}, "predictions": {...}}); empty when the file is
    missing, unreadable, not a regular file (never followed, never waited on) or not labkit's."""
    empty: dict[str, dict[str, str]] = {"answers": {}, "predictions": {}}
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return empty
            data = json.loads(f.read(STORE_MOST + 1)[:STORE_MOST].decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return empty
    if not isinstance(data, dict):
        return empty
    return {kind: {str(k): str(v) for k, v in part.items()} if isinstance(part := data.get(kind), dict) else {}
            for kind in empty}


def keeps_answers() -> bool:
    """Whether this process's session keeps its answers and predictions in its store (see above)."""
    if os.environ.get("LABKIT_ANSWERS"):
        return False  # a grading kernel: only what the notebook's re-execution records
    asked = (os.environ.get("LABKIT_KEEP_ANSWERS") or "").strip()
    if asked in ("0", "1"):
        return asked == "1"
    return bool(os.environ.get("JPY_SESSION_NAME"))  # a kernel a Jupyter server started for an open notebook


@contextmanager
def _locked(path: str):
    """Hold the store's lock (a file beside it) while reading and writing it."""
    try:
        import fcntl
    except ImportError:  # no POSIX locks here: one kernel at a time is the common case
        yield
        return
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


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
    store: str | None = None  # the file that keeps answers and predictions across kernels (None: this process only)
    witnessed: list = field(default_factory=list)  # results shown since the last predict() or reveal()
    _engine: Engine | None = field(default=None, repr=False)
    _reason: str = field(default="", repr=False)

    @classmethod
    def from_env(cls) -> Session:
        """The session the environment describes (LABKIT_SESSION, LABKIT_ENGINE, LABKIT_LESSON, LABKIT_ANSWERS)."""
        from labkit.engines.select import requested

        sid = os.environ.get("LABKIT_SESSION") or default_id()
        answers_file = os.environ.get("LABKIT_ANSWERS") or None
        me = cls(id=sid, engine_name=requested(), lesson=os.environ.get("LABKIT_LESSON") or None,
                 answers_file=answers_file,
                 store=store_path(sid) if keeps_answers() else None)
        me.reload()
        return me

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
        """Enter a lesson: label what follows with it, forget the hints shown for its exercises, and read the
        answers and predictions the session's other kernels recorded meanwhile."""
        self.lesson = lesson
        for key in exercise_ids:
            self.attempts.pop(key, None)
        self.reload()

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
        """Record the learner's answer to one question (replacing an earlier one); kept in the session's store and
        mirrored to answers_file."""
        self.answers[str(question)] = "" if value is None else str(value).strip()
        self._keep("answers", str(question), self.answers[str(question)])
        if self.answers_file:
            tmp = self.answers_file + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.answers, f, indent=1, sort_keys=True)
            os.replace(tmp, self.answers_file)

    def record_prediction(self, pid: str, value: str) -> None:
        """Record the learner's prediction (a choice key or a short text), kept in the session's store."""
        self.predictions[str(pid)] = str(value)
        self._keep("predictions", str(pid), str(value))

    def forget_predictions(self) -> None:
        """Forget every prediction of the session (in this process and in its store) and what was witnessed."""
        self.predictions.clear()
        self.witnessed.clear()
        self._keep("predictions", None, None)

    # -- the store: what outlives a kernel ------------------------------------------------
    def reload(self) -> None:
        """Read the answers and predictions kept in the session's store (the store wins: it holds every kernel's
        latest); nothing without a store."""
        if not self.store:
            return
        kept = read_store(self.store)
        self.answers.update(kept["answers"])
        self.predictions.update(kept["predictions"])

    def _keep(self, kind: str, key: str | None, value: str | None) -> None:
        """Write one answer or prediction to the store (key None: forget every one of that kind), leaving the rest
        as other kernels of the session wrote it. A store that cannot be written (a read-only home) is skipped:
        the answer still counts in this kernel."""
        if not self.store:
            return
        try:
            os.makedirs(os.path.dirname(self.store), mode=0o700, exist_ok=True)
            with _locked(self.store):
                kept = read_store(self.store)
                if key is None:
                    kept[kind].clear()
                else:
                    kept[kind][key] = str(value)
                tmp = f"{self.store}.{os.getpid()}.tmp"
                with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600), "w",
                               encoding="utf-8") as f:
                    json.dump(kept, f, indent=1, sort_keys=True)
                os.replace(tmp, self.store)
        except OSError:
            pass


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
