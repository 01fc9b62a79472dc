"""`labkit workspace --fresh NN` starts lesson NN again: its stored quiz choices, answers and predictions go too.

The store is the session's (`$XDG_STATE_HOME/labkit/answers-<session>.json`, labkit.session), the one a learner's
kernels keep through a restart; --fresh forgets only that lesson's keys and says so in one line. No engine, no
kernel: files only (well under a second).
"""

from __future__ import annotations

import json

import pytest

from labkit import coursefiles, session
from labkit.admin import workspace
from labkit.course.answers import RIGHT_WHEN_RECORDED


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A session of its own with a store in a state folder of its own; the store's path."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("LABKIT_SESSION", "test-fresh")
    return session.store_path("test-fresh")


def _learner_answered(path: str) -> None:
    """What a learner's kernel keeps after lessons 07 and 08: quiz clicks, a looked-up answer, predictions."""
    me = session.Session(id="test-fresh", store=path)
    me.record_answer("07-ps", "b")
    me.record_answer("08-listen-address", "127.0.0.1")
    me.record_answer(RIGHT_WHEN_RECORDED, "07-ps,08-listen-address")
    me.record_prediction("08-inside", "a")
    me.record_prediction("08-eth0", "c")
    me.record_prediction("07-ps", "b")


def test_fresh_forgets_that_lessons_answers_and_predictions_only(store, tmp_path, monkeypatch):
    _learner_answered(store)
    ws = tmp_path / "ws"
    workspace.ensure(ws, coursefiles.course_dir())

    said = workspace.fresh("8", ws, coursefiles.course_dir())

    kept = json.loads(open(store, encoding="utf-8").read())
    assert kept["answers"] == {"07-ps": "b", RIGHT_WHEN_RECORDED: "07-ps"}
    assert kept["predictions"] == {"07-ps": "b"}
    assert any("lesson 08: 3 stored quiz choice(s), answer(s) and prediction(s) forgotten" in line for line in said), said
    monkeypatch.setenv("LABKIT_KEEP_ANSWERS", "1")  # the next kernel of the session (a restart) reads what is left
    restarted = session.Session.from_env()
    assert (restarted.store, restarted.answers.get("08-listen-address"), restarted.predictions) == (store, None,
                                                                                                     {"07-ps": "b"})


def test_fresh_with_nothing_stored_says_so_in_one_line(store, tmp_path):
    ws = tmp_path / "ws"
    said = workspace.fresh("13", ws, coursefiles.course_dir())
    assert [line for line in said if "lesson 13" in line] == [
        f"  lesson 13: no stored quiz choices, answers or predictions to forget ({store})"]


def test_fresh_of_day8_forgets_no_answers(store, tmp_path):
    _learner_answered(store)
    workspace.fresh("day8", tmp_path / "ws", coursefiles.course_dir())
    assert "08-inside" in session.read_store(store)["predictions"]
