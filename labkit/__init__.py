"""labkit: the helper library of the container-networking course.

    import labkit
    r = labkit.docker("network create day8-net")   # r.exit_code, r.stdout, r.stderr

In IPython/Jupyter: `%load_ext labkit`, then `%docker ps` or a `%%docker` cell, `%host curl …` for the host side.

For learners: `lesson("05")` sets the lab up for a lesson; `check("05-server-ip")` checks an exercise (with
hints); `answer(...)` and `quiz(...)` record answers; `predict(...)` before a revealing cell and `reveal(...)`
after it (not graded); `progress()` and `score("14")` add up the points; `topology()`, `request_path(src, url)`,
`explorer()` and `listening(name)` show the lab as the engine sees it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labkit.contract.result import Result

from labkit.version import __version__


def __getattr__(name: str):
    """Import lazily, so that a container program under the embedded engine starts light."""
    if name == "Result":
        from labkit.contract.result import Result

        return Result
    raise AttributeError(f"module 'labkit' has no attribute {name!r}")


def docker(line: str, cwd: str | None = None) -> Result:
    """Run one docker CLI command line on the chosen engine; returns its Result."""
    from labkit.contract.transcript import run_docker

    return run_docker(line, cwd=cwd)


def set_lesson(lesson: str | None) -> None:
    """Label what you create from now on with a lesson (labkit.lesson does this for you)."""
    from labkit import session

    session.current().lesson = lesson


def host(line: str, cwd: str | None = None) -> Result:
    """Run a command on the host side of the lab: this machine, where published ports listen on either engine."""
    from labkit.contract.transcript import run_line

    return run_line(line, cwd=cwd)


def lesson(step: str | int) -> None:
    """Bring the lab to the state lesson `step` starts from (idempotent) and print what is there."""
    from labkit.course.start import lesson as _lesson

    _run_for_learner(_lesson, step)


def check(exercise_id: str):
    """Check an exercise against the lab now: what passed, what did not, and the next hint."""
    from labkit.course.checks import check as _check
    from labkit.course.progress import note

    result = _run_for_learner(_check, exercise_id)
    note(result)  # remembered as done, for labkit.progress()
    return result


def answer(question: str, value: object) -> None:
    """Record a value you found (an address, a name) as your answer to an exercise."""
    from labkit.course import staleness
    from labkit.course.answers import record
    from labkit.course.catalog import EXERCISES

    record(question, value)
    staleness.note(question)  # was it right now? so that, if the lab changes later, its check can say so
    # the exercise that judges this answer: the one of that name, else its lesson's (15-cause -> 15-diagnosis)
    judged_by = question if question in EXERCISES else next(
        (e.id for e in EXERCISES.values() if e.lesson == question[:2] and e.kind == "lab"), question)
    print(f"recorded {question} = {str(value).strip()!r}; run labkit.check(\"{judged_by}\") to see if it is right")


def quiz(question: str, answer: str | None = None) -> None:
    """Show a multiple-choice question; your choice is recorded for grading (keep it in answer=)."""
    from labkit.course.ui.widgets import quiz as _quiz

    _run_for_learner(_quiz, question, answer)


def predict(prediction: str, choice: str | None = None, text: str | None = None) -> None:
    """Predict before you see: record your choice (or a short text) before the cell that reveals it runs."""
    from labkit.course.predictions import predict as _predict

    _run_for_learner(_predict, prediction, choice, text)


def reveal(prediction: str, result: Result | None = None) -> None:
    """After the revealing command: say what happened and whether your prediction held (not graded)."""
    from labkit.course.predictions import reveal as _reveal

    _run_for_learner(_reveal, prediction, result)


def progress() -> None:
    """Per lesson: which exercises are done and the points, read from the lab now (spends no hints)."""
    from labkit.course.progress import show

    _run_for_learner(show)


def score(lesson: str) -> None:
    """One lesson's exercises as one table, with the total (spends no hints)."""
    from labkit.course.progress import show_lesson

    _run_for_learner(show_lesson, lesson)


def listening(container: str) -> None:
    """Print what the apps in a container listen on, and who can therefore reach them."""
    from labkit.course.ui.views import listening as _listening

    _run_for_learner(_listening, container)


def topology() -> None:
    """Draw the lab as it is now: networks, containers, addresses, listeners and published ports."""
    from labkit.course.ui.views import topology as _topology

    _run_for_learner(_topology)


def request_path(source: str, url: str) -> None:
    """Trace one request hop by hop (client → DNS → route → listener), make it for real, and draw it."""
    from labkit.course.ui.views import request_path as _request_path

    _run_for_learner(_request_path, source, url)


def explorer(source: str = "client", url: str = "http://server:3000") -> None:
    """A small widget: pick a source container and a URL, see the request's path."""
    from labkit.course.ui.widgets import explorer as _explorer

    _run_for_learner(_explorer, source, url)


def _run_for_learner(fn, *args):
    """Call fn; a labkit or engine error becomes its one-line message on stderr instead of a traceback."""
    import sys

    from labkit.errors import CommandError, EngineError

    try:
        return fn(*args)
    except CommandError as err:
        sys.stderr.write(err.stderr)
    except EngineError as err:
        sys.stderr.write(f"labkit: the engine said: {err.message}\n")
    return None


def load_ipython_extension(ipython) -> None:
    """`%load_ext labkit`: registers %docker and %%docker."""
    from labkit.course.ui.magics import register

    register(ipython)


__all__ = ["docker", "host", "lesson", "check", "answer", "quiz", "predict", "reveal", "progress", "score",
           "listening", "topology", "request_path", "explorer", "Result", "set_lesson", "load_ipython_extension",
           "__version__"]
