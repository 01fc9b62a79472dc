"""labkit.progress() and labkit.score(): points judged read-only (no hint spent), a pass remembered after the lab
moves on, one table with a total for a lesson."""

from __future__ import annotations

import pytest

from labkit.course import catalog, progress
from labkit.course.catalog import QUESTIONS

pytestmark = pytest.mark.engine


@pytest.fixture
def me(lab, fresh_session):
    """The test session with no answers, no hints shown, and a progress file of its own, on a lab."""
    return fresh_session


def test_a_lessons_score_is_one_table_with_a_total_and_spends_no_hint(me, capsys):
    me.lesson = "14"
    me.answers["14-lock-1"] = QUESTIONS["14-lock-1"].correct
    me.answers["14-lock-2"] = "a"  # wrong
    progress.show_lesson("14")
    out = capsys.readouterr().out
    assert out.count("14-lock-") == 7 and "FAIL" not in out
    assert "✔ 14-lock-1" in out and "✘ 14-lock-2" in out and "you chose 'a'" in out
    assert out.rstrip().endswith("total: 1/7 points")
    assert me.attempts == {}  # judged with checks.evaluate: no hint spent


def test_progress_remembers_a_pass_after_the_lab_moved_on(me, lab, capsys):
    me.lesson = "01"
    lab.ok("docker network create day8-net")
    progress.show()
    first = capsys.readouterr().out
    assert "✔01-network" in first and "·02-server" in first
    lab.ok("docker network rm day8-net")  # the lab moves on (another lesson's set-up removes it)
    progress.show()
    again = capsys.readouterr().out
    assert "✔01-network" in again
    me.lesson = "02"
    progress.show()
    assert "✔01-network" in capsys.readouterr().out  # not judged now, remembered
    assert me.attempts == {}


def test_progress_totals_every_lesson_with_points(me, capsys):
    me.lesson = "15"
    progress.show()
    out = capsys.readouterr().out.splitlines()
    assert [line[:2] for line in out[1:-1]] == list(catalog.LESSONS)  # every lesson the catalog has, in order
    from labkit.course.catalog import EXERCISES

    assert out[-1].split()[-2] == f"0/{sum(e.points for e in EXERCISES.values())}"


def test_a_failing_check_records_nothing(me):
    from labkit.course.catalog import EXERCISES
    from labkit.course.checks import CheckResult

    progress.note(CheckResult(EXERCISES["01-network"], [("x", False, "y")]))
    assert progress.passed_before() == {}
    progress.note(CheckResult(EXERCISES["01-network"], [("x", True, "y")]))
    assert progress.passed_before() == {"01-network": 2}


def test_a_right_quiz_answer_turned_wrong_is_not_shown_as_passed(me, capsys):
    """Issue 21: the check fails, so score() and progress() must not say "passed earlier" either."""
    me.lesson = "14"
    right = QUESTIONS["14-lock-1"].correct
    wrong = next(k for k, _ in QUESTIONS["14-lock-1"].choices if k != right)
    me.answers["14-lock-1"] = right
    progress.show_lesson("14")
    assert "✔ 14-lock-1          1/1" in capsys.readouterr().out
    assert progress.passed_before() == {"14-lock-1": 1}
    me.answers["14-lock-1"] = wrong
    progress.show_lesson("14")
    out = capsys.readouterr().out
    assert f"✘ 14-lock-1          0/1  Mental lock 1 — you chose {wrong!r}, which is not it" in out, out
    assert "passed earlier" not in out and out.rstrip().endswith("total: 0/7 points")
    progress.show()
    assert "✘14-lock-1" in capsys.readouterr().out
    assert progress.passed_before() == {}  # the earlier pass is forgotten, not kept for another view to show
    me.answers["14-lock-1"] = right
    progress.show_lesson("14")
    assert "✔ 14-lock-1          1/1" in capsys.readouterr().out


def test_a_recorded_answer_keeps_an_earlier_pass_only_while_it_is_the_value_that_passed(me, capsys):
    """A looked-up value the lab changed under (right when recorded) stays passed; another value recorded since does
    not, judged now or not."""
    from labkit.course.answers import RIGHT_WHEN_RECORDED
    from labkit.course.catalog import EXERCISES
    from labkit.course.checks import CheckResult

    progress.note(CheckResult(EXERCISES["05-server-ip"], [("x", True, "y")]))
    me.lesson = "14"  # lesson 05's lab is gone: not judged now
    me.answers.update({"05-server-ip": "172.18.0.3", RIGHT_WHEN_RECORDED: "05-server-ip"})
    progress.show()
    assert "✔05-server-ip" in capsys.readouterr().out
    me.answers.update({"05-server-ip": "10.9.8.7", RIGHT_WHEN_RECORDED: ""})  # recorded again, wrong when recorded
    progress.show()
    assert "✘05-server-ip" in capsys.readouterr().out
    me.lesson = "05"  # judged now, on a lab without lesson 05's server: stale would pass earlier, wrong does not
    progress.show_lesson("05")
    out = capsys.readouterr().out
    assert "✘ 05-server-ip" in out and "passed earlier" not in out, out
    assert progress.passed_before() == {}
