"""The course's lessons, collected: the one place that knows which lessons exist.

A lesson is one module of the package labkit.course.lessons, named `lNN_words.py` (`l05_container_to_container.py`),
that defines `LESSON`, a labkit.course.vocabulary.Lesson whose key is NN. The catalog finds those modules on the
package's path and orders them by key; everything else — `labkit.lesson`, the checks, progress, the grader, the
exports, every "00 to 15" — asks it. Adding lesson 16 is one module here and one notebook.

The hook for lessons kept elsewhere (a course's own extension, a test's throw-away lesson): add their folder to the
package's path, `labkit.course.lessons.__path__.append(folder)`; the catalog reads the path at every question, so
the new lessons are listed from then on.

LESSONS, EXERCISES, QUESTIONS, HINTS (a quiz's two) and PREDICTIONS are read-only mappings that always answer for
the lessons found now.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from labkit.course import lessons as package
from labkit.course.outcomes import Prediction
from labkit.course.vocabulary import Exercise, Lesson, Question

MODULE_NAME = re.compile(r"l(\d\d)_\w+")

V = TypeVar("V")


@dataclass(frozen=True)
class _Index:
    """Every lesson found on one package path, and what they define, by id."""

    lessons: dict[str, Lesson]
    exercises: dict[str, Exercise]
    questions: dict[str, Question]
    predictions: dict[str, Prediction]


@lru_cache(maxsize=8)
def _index(path: tuple[str, ...]) -> _Index:
    found: dict[str, Lesson] = {}
    for info in sorted(pkgutil.iter_modules(list(path)), key=lambda m: m.name):
        named = MODULE_NAME.fullmatch(info.name)
        if named is None or info.ispkg:
            continue
        lesson = importlib.import_module(f"{package.__name__}.{info.name}").LESSON
        if lesson.key != named.group(1) or lesson.key in found:
            raise ValueError(f"labkit: the lesson module {info.name} defines lesson {lesson.key!r}: a module "
                             f"lNN_… defines lesson NN, and one module each")
        found[lesson.key] = lesson
    ordered = {key: found[key] for key in sorted(found)}
    exercises = {e.id: e for lesson in ordered.values() for e in lesson.exercises}
    return _Index(ordered, exercises,
                  {e.id: e.question for e in exercises.values() if e.question is not None},
                  {pid: p for lesson in ordered.values() for pid, p in lesson.predictions.items()})


def _now() -> _Index:
    return _index(tuple(package.__path__))


class _Live(Mapping[str, V]):
    """A read-only mapping that answers from the lessons found now."""

    def __init__(self, pick: Callable[[_Index], Mapping[str, V]]) -> None:
        self._pick = pick

    def __getitem__(self, key: str) -> V:
        return self._pick(_now())[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._pick(_now()))

    def __len__(self) -> int:
        return len(self._pick(_now()))

    def __repr__(self) -> str:
        return repr(dict(self._pick(_now())))


LESSONS: Mapping[str, str] = _Live(lambda ix: {key: lesson.title for key, lesson in ix.lessons.items()})
EXERCISES: Mapping[str, Exercise] = _Live(lambda ix: ix.exercises)
QUESTIONS: Mapping[str, Question] = _Live(lambda ix: ix.questions)
PREDICTIONS: Mapping[str, Prediction] = _Live(lambda ix: ix.predictions)
HINTS: Mapping[str, tuple[str, ...]] = _Live(lambda ix: {e.id: e.hints for e in ix.exercises.values() if e.kind == "quiz"})


def lessons() -> list[Lesson]:
    """Every lesson, ordered by key."""
    return list(_now().lessons.values())


def key_of(step: str | int) -> str:
    """A lesson's key as the catalog writes it: 5 and "5" are "05"."""
    return f"{int(step):02d}" if str(step).isdigit() else str(step)


def get(step: str | int) -> Lesson | None:
    """The lesson of that key (5, "5" or "05"), or None."""
    return _now().lessons.get(key_of(step))


def span() -> str:
    """The lessons' keys as a learner reads them: "00 to 15"."""
    keys = list(_now().lessons)
    return f"{keys[0]} to {keys[-1]}" if keys else "none"


def for_lesson(lesson: str) -> list[Exercise]:
    """The exercises of one lesson, in order."""
    return [e for e in _now().exercises.values() if e.lesson == lesson]
