"""Fixtures shared by the course's tests."""

from __future__ import annotations

import shutil

import pytest

from tests.course.lessonlab import NOTEBOOKS, PRELUDE


@pytest.fixture
def fresh_session(tmp_path, monkeypatch):
    """The test session with no answers and no hints shown, its progress and answers kept in a folder of the test's
    own; what it had before is given back afterwards."""
    from labkit import session

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    s = session.current()
    saved = (dict(s.answers), dict(s.attempts), s.lesson)
    s.answers.clear()
    s.attempts.clear()
    yield s
    s.answers.clear()
    s.answers.update(saved[0])
    s.attempts.clear()
    s.attempts.update(saved[1])
    s.lesson = saved[2]


@pytest.fixture
def course(lab, tmp_path, monkeypatch):
    """A learner's notebooks folder; `course("04")` sets up lesson 04's lab (and its prelude) and returns the lab."""
    shutil.copytree(NOTEBOOKS / "assets", tmp_path / "assets")
    monkeypatch.chdir(tmp_path)

    def at(step: str):
        from labkit.course.start import lesson

        lesson(step, quiet=True)
        for line in PRELUDE.get(step, []):
            lab.ok("docker " + line)
        return lab

    return at
