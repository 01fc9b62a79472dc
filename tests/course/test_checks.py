"""Exercises: hints come one at a time then a solution; every exercise is a marked cell of its lesson."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labkit.course import answers, checks
from labkit.course.catalog import EXERCISES, LESSONS, QUESTIONS, for_lesson
from labkit.course.vocabulary import Context

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


class NoEngine:
    """Checks of recorded answers must not need the engine; any call is a test failure."""

    def __getattr__(self, name):
        raise AssertionError(f"the check called the engine ({name})")


def test_every_failing_check_gives_a_hint_then_the_next_then_the_solution(monkeypatch):
    """The first failing check already gives hint 1; each further failing check gives what the last one promised
    (the next hint, then the solution); a wrong quiz choice starts a ladder of its own; a lesson's set-up starts the
    ladder again."""
    from labkit import session

    me = session.Session("test-hints")
    me.use_engine(engine=NoEngine(), reason="none")
    monkeypatch.setattr(session, "_current", me)
    ex = EXERCISES["06-localhost"]
    me.start_lesson("06", [e.id for e in for_lesson("06")])
    first = checks.check("06-localhost").guidance
    assert f"hint 1/2: {ex.hints[0]}" in first and "(run the check again for another hint)" in first
    again = checks.check("06-localhost").guidance  # nothing changed: still the next hint, as promised
    assert f"hint 2/2: {ex.hints[1]}" in again and "(run the check again to see a solution)" in again
    assert "nothing changed" not in again
    me.record_answer("06-localhost", "a")  # a wrong choice: its own ladder, from its misconception's hint
    assert f"hint 1/2: {ex.question.mistake('a')}" in checks.check("06-localhost").guidance
    assert f"hint 2/2: {ex.hints[1]}" in checks.check("06-localhost").guidance
    assert ex.solution in checks.check("06-localhost").guidance
    me.record_answer("06-localhost", "c")
    assert f"hint 1/2: {ex.question.mistake('c')}" in checks.check("06-localhost").guidance
    me.start_lesson("06", [e.id for e in for_lesson("06")])  # the lesson's set-up forgets its hints
    assert "hint 1/2" in checks.check("06-localhost").guidance


def test_quiz_hints_never_state_the_answer():
    """Hint 1 says where to look, hint 2 gives the idea; neither contains the right choice's text."""
    for qid, q in QUESTIONS.items():
        right = dict(q.choices)[q.correct]
        for hint in EXERCISES[qid].hints:
            assert right not in hint and q.why not in hint, (qid, hint)
    assert "experiments above" not in " ".join(EXERCISES["00-model"].hints)


def test_a_recorded_quiz_answer_is_checked_against_the_key(monkeypatch):
    def ctx(value):
        return Context(NoEngine(), {"07-ps": value}, Path("."))

    assert checks.evaluate("07-ps", ctx("b")).passed
    wrong = checks.evaluate("07-ps", ctx("a"))
    assert not wrong.passed and wrong.points == 0 and "you chose 'a', which is not it" in wrong.message
    assert "✘ the right choice is recorded — you chose 'a', which is not it" in str(wrong)
    assert "✔ the right choice is recorded\n" in str(checks.evaluate("07-ps", ctx("b")))


def test_unknown_exercise_is_one_clear_line(capsys):
    import labkit

    assert labkit.check("99-nope") is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "there is no exercise '99-nope'" in err


def test_answers_are_written_where_the_grader_reads_them(tmp_path, monkeypatch):
    from labkit import session

    target = tmp_path / "answers.json"
    monkeypatch.setenv("LABKIT_ANSWERS", str(target))
    monkeypatch.setattr(session, "_current", None)  # a kernel the grader starts reads LABKIT_ANSWERS at its start
    answers.record("05-server-ip", " 172.18.0.2 ")
    assert answers.load(str(target))["05-server-ip"] == "172.18.0.2"
    target.write_text("{not json")
    assert answers.load(str(target)) == {}


def test_every_lesson_has_an_exercise_and_every_question_a_valid_key():
    assert set(LESSONS) == {e.lesson for e in EXERCISES.values()}
    for qid, q in QUESTIONS.items():
        assert q.correct in dict(q.choices), qid
        assert EXERCISES[qid].kind == "quiz"


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_exercise_cells_carry_labkit_and_nbgrader_metadata(lesson):
    [path] = NOTEBOOKS.glob(f"{lesson}-*.ipynb")
    nb = json.loads(path.read_text())
    marked = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {})
        if "labkit" in meta:
            marked[meta["labkit"]["exercise"]] = (meta["labkit"]["points"], meta["nbgrader"]["grade_id"],
                                                  meta["nbgrader"]["points"])
    assert marked == {e.id: (e.points, e.id, e.points) for e in for_lesson(lesson)}
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "".join(code[0]["source"]).endswith(f'labkit.lesson("{lesson}")'), "the first cell sets the lab up"


def test_the_sanitizer_file_is_read_whole_by_nbval():
    import configparser

    from nbval.plugin import get_sanitize_patterns

    path = Path(__file__).resolve().parents[1] / "nbval-sanitize.cfg"
    sections = configparser.ConfigParser()
    sections.read(path)
    assert len(get_sanitize_patterns(path.read_text())) == len(sections.sections())
