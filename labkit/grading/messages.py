"""The grader's messages, as types: what a run is asked to do (`GradeSettings`), one submission's job for a worker
process (`Job`), one exercise's verdict (`ExerciseVerdict`) and one submission's result (`GradeResult`).

Each is built in one place and crosses a process boundary (the worker's stdin and stdout pipe) or a Dask
boundary as one serialised form, its `to_json()` (plain JSON: dicts, lists, strings, numbers), read back by
`from_json()`, which checks every field on arrival: a message of the wrong shape is a `MessageError` (one
line), never a traceback. A result's strings are escaped as they arrive (labkit.grading.text.clean), whoever
sent it: a worker, a Dask task or a kept result in `--out/graded/`.

A result's serialised form is what results.json holds for a submission (the reports add its totals, its
feedback page and what its assignment folder says).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from labkit.course.checks import fitting_hints
from labkit.grading.text import clean

if TYPE_CHECKING:
    from labkit.course.vocabulary import Exercise


class MessageError(ValueError):
    """A message that does not have its type's shape (one line saying which field)."""


def _get(data: dict, key: str, types: tuple[type, ...], default: object = ..., what: str = "message") -> object:
    """data[key] when it is one of types (a bool is never taken for a number); default when absent."""
    if key not in data:
        if default is ...:
            raise MessageError(f"the {what} has no {key!r}")
        return default
    value = data[key]
    if isinstance(value, bool) and bool not in types:
        raise MessageError(f"the {what}'s {key!r} is not {' or '.join(t.__name__ for t in types)}")
    if not isinstance(value, types):
        raise MessageError(f"the {what}'s {key!r} is not {' or '.join(t.__name__ for t in types)}")
    return value


def _texts(data: dict, key: str, what: str) -> tuple[str, ...]:
    """data[key] as a tuple of strings (absent: empty)."""
    value = _get(data, key, (list, tuple), [], what)
    if not all(isinstance(v, str) for v in value):
        raise MessageError(f"the {what}'s {key!r} holds something other than text")
    return tuple(value)


def _dict(data: object, what: str) -> dict:
    if not isinstance(data, dict):
        raise MessageError(f"the {what} is not a JSON object")
    return data


@dataclass(frozen=True)
class GradeSettings:
    """What one `labkit grade` run is asked to do: the command's options, and what every worker grades with."""

    engine: str = "sim"
    sandbox: str = "bwrap"
    jobs: int = 1
    timeout: float = 300
    cell_timeout: float = 60
    hidden: tuple[str, ...] = ()
    trust: bool = False
    assets: str | None = None
    lesson: str | None = None
    limits: dict[str, int] = field(default_factory=dict)  # labkit.grading.sandbox.Limits' fields, by name
    scheduler: str | None = None
    nbgrader_course: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden or ()))  # a list given: kept as a tuple
        object.__setattr__(self, "limits", dict(self.limits or {}))

    def to_json(self) -> dict:
        """The settings as plain JSON."""
        return {"engine": self.engine, "sandbox": self.sandbox, "jobs": self.jobs, "timeout": self.timeout,
                "cell_timeout": self.cell_timeout, "hidden": list(self.hidden), "trust": self.trust,
                "assets": self.assets, "lesson": self.lesson, "limits": dict(self.limits),
                "scheduler": self.scheduler, "nbgrader_course": self.nbgrader_course}

    @classmethod
    def from_json(cls, data: object) -> GradeSettings:
        """Settings from their JSON form (a field left out takes its default); MessageError if malformed."""
        d, what = _dict(data, "grading settings"), "grading settings"
        limits = _get(d, "limits", (dict,), {}, what)
        if not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in limits.items()):
            raise MessageError("the grading settings' 'limits' are not names of whole numbers")
        text_or_none = (str, type(None))
        return cls(engine=_get(d, "engine", (str,), "sim", what), sandbox=_get(d, "sandbox", (str,), "bwrap", what),
                   jobs=_get(d, "jobs", (int,), 1, what), timeout=_get(d, "timeout", (int, float), 300, what),
                   cell_timeout=_get(d, "cell_timeout", (int, float), 60, what), hidden=_texts(d, "hidden", what),
                   trust=_get(d, "trust", (bool,), False, what), assets=_get(d, "assets", text_or_none, None, what),
                   lesson=_get(d, "lesson", text_or_none, None, what), limits=dict(limits),
                   scheduler=_get(d, "scheduler", text_or_none, None, what),
                   nbgrader_course=_get(d, "nbgrader_course", text_or_none, None, what))


@dataclass(frozen=True)
class Job:
    """One submission for a worker process: the file to read, whose it is, which lesson and assignment (the
    instructor's word), the path its result names, the grader's pid (the worker dies with it) and the settings."""

    path: str
    shown_path: str
    learner: str
    lesson: str | None
    assignment: str | None
    grader_pid: int
    settings: GradeSettings

    def to_json(self) -> dict:
        """The job as plain JSON (what the worker reads on its stdin)."""
        return {"path": self.path, "shown_path": self.shown_path, "learner": self.learner, "lesson": self.lesson,
                "assignment": self.assignment, "grader_pid": self.grader_pid, "settings": self.settings.to_json()}

    @classmethod
    def from_json(cls, data: object) -> Job:
        """A job from its JSON form; MessageError if malformed."""
        d, what = _dict(data, "job"), "job"
        text_or_none = (str, type(None))
        return cls(path=_get(d, "path", (str,), what=what), shown_path=_get(d, "shown_path", (str,), what=what),
                   learner=_get(d, "learner", (str,), what=what), lesson=_get(d, "lesson", text_or_none, what=what),
                   assignment=_get(d, "assignment", text_or_none, None, what),
                   grader_pid=_get(d, "grader_pid", (int,), what=what),
                   settings=GradeSettings.from_json(_get(d, "settings", (dict,), what=what)))


@dataclass(frozen=True)
class CheckedPart:
    """One part of an exercise's check: what it checks, whether it passed, what it found ("" for a hidden check)."""

    check: str
    passed: bool
    found: str

    def to_json(self) -> dict:
        """The part as plain JSON."""
        return {"check": self.check, "passed": self.passed, "found": self.found}

    @classmethod
    def from_json(cls, data: object) -> CheckedPart:
        """A part from its JSON form; MessageError if malformed."""
        d, what = _dict(data, "check part"), "check part"
        return cls(_get(d, "check", (str,), what=what), _get(d, "passed", (bool,), what=what),
                   _get(d, "found", (str,), "", what))


@dataclass(frozen=True)
class ExerciseVerdict:
    """One exercise's grade: points of max, whether it passed, a one-line message, the hint, its parts."""

    id: str
    title: str
    points: int
    max: int
    passed: bool
    message: str
    hidden: bool
    hint: str = ""
    parts: tuple[CheckedPart, ...] = ()

    @classmethod
    def judged(cls, exercise: Exercise, passed: bool, points: int, message: str,
               parts: list[tuple[str, bool, str]]) -> ExerciseVerdict:
        """The verdict of a check that ran. A hidden check says what it checks, never what it found."""
        secret = exercise.kind == "hidden"
        if secret and not passed:
            message = next((f"not yet: {w}" for w, ok, _ in parts if not ok), "not yet")
        # the hint labkit.check gave first for what it found (a near miss's, a wrong quiz choice's); a hidden check
        # never says what it found, so its hint is the exercise's own
        hints = exercise.hints if secret else fitting_hints(exercise, parts)
        return cls(exercise.id, exercise.title, points, exercise.points, passed, message, secret,
                   "" if passed or not hints else hints[0],
                   tuple(CheckedPart(w, ok, "" if secret else f) for w, ok, f in parts))

    @classmethod
    def crashed(cls, exercise: Exercise, err: BaseException) -> ExerciseVerdict:
        """A check that raised: 0 points, with the kind of error, never a traceback."""
        return cls(exercise.id, exercise.title, 0, exercise.points, False,
                   f"the check could not run ({type(err).__name__})", exercise.kind == "hidden",
                   exercise.hints[0] if exercise.hints else "")

    @classmethod
    def ungraded(cls, exercise: Exercise, why: str | None) -> ExerciseVerdict:
        """An exercise of a submission that could not be graded: 0 of its full points, and why."""
        return cls(exercise.id, exercise.title, 0, exercise.points, False, f"not graded: {why}",
                   exercise.kind == "hidden")

    def to_json(self) -> dict:
        """The verdict as plain JSON (an entry of a result's `exercises`)."""
        return {"id": self.id, "title": self.title, "points": self.points, "max": self.max, "passed": self.passed,
                "message": self.message, "hidden": self.hidden, "hint": self.hint,
                "parts": [p.to_json() for p in self.parts]}

    @classmethod
    def from_json(cls, data: object) -> ExerciseVerdict:
        """A verdict from its JSON form; MessageError if malformed."""
        d, what = _dict(data, "exercise verdict"), "exercise verdict"
        parts = _get(d, "parts", (list,), [], what)
        return cls(_get(d, "id", (str,), what=what), _get(d, "title", (str,), "", what),
                   _get(d, "points", (int,), what=what), _get(d, "max", (int,), what=what),
                   _get(d, "passed", (bool,), what=what), _get(d, "message", (str,), "", what),
                   _get(d, "hidden", (bool,), False, what), _get(d, "hint", (str,), "", what),
                   tuple(CheckedPart.from_json(p) for p in parts))


@dataclass(frozen=True)
class GradeResult:
    """One submission's grade: whose, which file and lesson, why it could not be graded (error), notes on how it
    ran, each exercise's verdict. A `lost` result says nothing about the submission (the run was interrupted, a
    worker died): it is reported, never kept, so the next run grades it again."""

    learner: str
    path: str
    lesson: str | None
    error: str | None = None
    notes: tuple[str, ...] = ()
    exercises: tuple[ExerciseVerdict, ...] = ()
    assignment: str | None = None
    grader_log: str | None = None  # the end of a lost worker's stderr
    lost: bool = False

    @classmethod
    def ungraded(cls, learner: str, path: str, lesson: str | None, assignment: str | None,
                 exercises: list[Exercise], why: str | None, notes: tuple[str, ...] = ()) -> GradeResult:
        """A submission that could not be graded: every exercise at 0 of its full points, and why."""
        return cls(learner, path, lesson, why, tuple(notes), tuple(ExerciseVerdict.ungraded(e, why) for e in exercises),
                   assignment)

    def as_lost(self, grader_log: str | None = None) -> GradeResult:
        """This (ungraded) result as one that says nothing about the submission: reported, never kept."""
        return replace(self, lost=True, grader_log=grader_log)

    def settled(self) -> GradeResult:
        """The result as reported (a lost one reports as the ungraded result it is)."""
        return replace(self, lost=False)

    def to_json(self) -> dict:
        """The result as plain JSON, every string escaped (what crosses a boundary, what is kept, what
        results.json holds)."""
        out = {"learner": self.learner, "path": self.path, "lesson": self.lesson, "error": self.error,
               "notes": list(self.notes), "exercises": [e.to_json() for e in self.exercises],
               "assignment": self.assignment}
        if self.grader_log is not None:
            out["grader_log"] = self.grader_log
        if self.lost:
            out["lost"] = True
        return clean(out)

    @classmethod
    def from_json(cls, data: object) -> GradeResult:
        """A result from its JSON form, every string in it escaped (text.clean); MessageError if malformed."""
        d, what = _dict(clean(data), "result"), "result"
        text_or_none = (str, type(None))
        exercises = _get(d, "exercises", (list,), [], what)
        return cls(learner=_get(d, "learner", (str,), what=what), path=_get(d, "path", (str,), "", what),
                   lesson=_get(d, "lesson", text_or_none, None, what), error=_get(d, "error", text_or_none, None, what),
                   notes=_texts(d, "notes", what), exercises=tuple(ExerciseVerdict.from_json(e) for e in exercises),
                   assignment=_get(d, "assignment", text_or_none, None, what),
                   grader_log=_get(d, "grader_log", text_or_none, None, what), lost=_get(d, "lost", (bool,), False, what))



@dataclass(frozen=True)
class BoxLaunch:
    """What the container-box launcher (`python -m labkit.grading.containerbox run LAUNCH`) is asked to start: the
    command, the binds in bubblewrap's words (--bind/--ro-bind SRC DEST), environment, uid, working folder,
    limits (labkit.grading.sandbox.Limits' fields), the info pipe, the worker it dies with, the box's label."""

    cmd: tuple[str, ...]
    binds: tuple[str, ...]
    env: dict[str, str]
    uid: int
    chdir: str | None
    limits: dict[str, int]
    info_fd: int | None
    grader: int
    label: str

    def to_json(self) -> dict:
        """The launch as plain JSON (the launcher's one argument)."""
        return {"cmd": list(self.cmd), "binds": list(self.binds), "env": dict(self.env), "uid": self.uid,
                "chdir": self.chdir, "limits": dict(self.limits), "info_fd": self.info_fd, "grader": self.grader,
                "label": self.label}

    @classmethod
    def from_json(cls, data: object) -> BoxLaunch:
        """A launch from its JSON form; MessageError if malformed."""
        d, what = _dict(data, "box launch"), "box launch"
        binds = _texts(d, "binds", what)
        if len(binds) % 3 or any(binds[i] not in ("--bind", "--ro-bind") for i in range(0, len(binds), 3)):
            raise MessageError("the box launch's 'binds' are not --bind/--ro-bind SRC DEST triples")
        env = _get(d, "env", (dict,), what=what)
        limits = _get(d, "limits", (dict,), what=what)
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
            raise MessageError("the box launch's 'env' is not names of text")
        if not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in limits.items()):
            raise MessageError("the box launch's 'limits' are not names of whole numbers")
        return cls(_texts(d, "cmd", what), binds, dict(env), _get(d, "uid", (int,), what=what),
                   _get(d, "chdir", (str, type(None)), None, what), dict(limits),
                   _get(d, "info_fd", (int, type(None)), None, what), _get(d, "grader", (int,), what=what),
                   _get(d, "label", (str,), what=what))
