"""The quiz: asked once, `code` shown as code, a click recorded and shown, kept when the cell runs again."""

from __future__ import annotations

import pytest

from labkit import session
from labkit.course.ui import widgets


@pytest.fixture
def shown(monkeypatch):
    """Every display() call of the quiz, and a fresh session for its answers."""
    import IPython.display

    calls = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: calls.append((obj, raw)))
    monkeypatch.setattr(session, "_current", session.Session("test-quiz"))
    return calls


def _widget(bundle):
    from ipywidgets.widgets import widget

    return widget._instances[bundle["application/vnd.jupyter.widget-view+json"]["model_id"]]


def test_the_question_is_shown_once_as_a_widget_with_a_text_twin(shown, capsys):
    widgets.quiz("07-ps")
    assert capsys.readouterr().out == ""  # no printed copy of the question beside the widget
    [(bundle, raw)] = shown
    assert raw and bundle["text/plain"].count("`docker ps` shows server") == 1
    assert bundle["text/plain"].endswith('Your answer: none yet. Pick one, or write answer="…" in this cell.')
    title, radio, feedback = _widget(bundle).children
    assert "<code>docker ps</code>" in title.value and "`" not in title.value
    assert "none yet" in feedback.value


def test_a_click_is_recorded_shown_and_kept_when_the_cell_runs_again(shown):
    widgets.quiz("07-ps")
    _, radio, feedback = _widget(shown[0][0]).children
    radio.value = "b"
    assert session.current().answers["07-ps"] == "b"
    assert "none yet" not in feedback.value and "Your answer: b. ✔" in feedback.value
    assert 'labkit.quiz("07-ps", answer="b")' in feedback.value  # how to keep it for grading
    assert "kept for this session, through a kernel restart" in feedback.value  # and what a click alone keeps
    widgets.quiz("07-ps")  # the same cell, run again without answer=
    again = shown[1][0]
    assert _widget(again).children[1].value == "b"
    assert "Your answer: b (your earlier click, recorded)." in again["text/plain"]


def test_answer_in_the_cell_is_recorded_and_judged(shown):
    widgets.quiz("07-ps", answer="a")
    assert session.current().answers["07-ps"] == "a"
    assert "Your answer: a (recorded). Not quite" in shown[0][0]["text/plain"]
