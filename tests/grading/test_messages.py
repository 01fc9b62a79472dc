"""The grader's typed messages: each crosses a boundary as one serialised form and is checked on arrival, so a
malformed one is a line saying what is wrong (or a submission reported as not graded), never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.grading import dispatch
from labkit.grading.dispatch import Item, grade_one
from labkit.grading.messages import BoxLaunch, ExerciseVerdict, GradeResult, GradeSettings, Job, MessageError

VERDICT = {"id": "02-server", "title": "t", "points": 2, "max": 2, "passed": True, "message": "passed",
           "hidden": False, "hint": "", "parts": [{"check": "server runs", "passed": True, "found": "it does"}]}
RESULT = {"learner": "x", "path": "/s/x-02.ipynb", "lesson": "02", "error": None, "notes": ["a note"],
          "exercises": [VERDICT], "assignment": None}


def test_each_message_reads_back_what_it_wrote():
    settings = GradeSettings(engine="sim", jobs=3, hidden=["/h.py"], limits={"processes": 100}, lesson="05")
    assert settings.hidden == ("/h.py",) and GradeSettings.from_json(settings.to_json()) == settings
    job = Job("/tmp/x.ipynb", "/s/x.ipynb", "x", "02", None, 1, settings)
    assert Job.from_json(json.loads(json.dumps(job.to_json()))) == job
    result = GradeResult.from_json(RESULT)
    assert result.exercises[0] == ExerciseVerdict.from_json(VERDICT) and result.to_json() == RESULT
    lost = result.as_lost("log")
    assert GradeResult.from_json(lost.to_json()) == lost and lost.to_json()["lost"] is True
    assert "lost" not in lost.settled().to_json() and lost.settled().to_json()["grader_log"] == "log"


@pytest.mark.parametrize("change", [
    {"learner": None}, {"exercises": "all"}, {"notes": [1]}, {"error": 3},
    {"exercises": [dict(VERDICT, points="2")]}, {"exercises": [dict(VERDICT, passed=1)]},
    {"exercises": [dict(VERDICT, points=True)]}, {"exercises": [dict(VERDICT, parts=[{"passed": True}])]},
])
def test_a_malformed_result_is_one_line_saying_which_field(change):
    with pytest.raises(MessageError) as err:
        GradeResult.from_json(dict(RESULT, **change))
    assert "\n" not in str(err.value) and "'" in str(err.value)


def test_a_results_strings_are_escaped_as_they_arrive():
    got = GradeResult.from_json(dict(RESULT, notes=["\x1b[2Jcleared", "\udcff"]))
    assert got.notes == ("\\x1b[2Jcleared", "\\xff")


def test_settings_refuse_what_is_not_theirs():
    for bad in ({"jobs": "2"}, {"limits": {"cpu": "1"}}, {"hidden": "/h.py"}, {"trust": "yes"}, []):
        with pytest.raises(MessageError):
            GradeSettings.from_json(bad)


def test_a_worker_that_answers_nonsense_leaves_the_submission_not_graded(tmp_path, monkeypatch):
    nb = tmp_path / "x-02.ipynb"
    nb.write_text("{}")
    forged = dict(RESULT, exercises=[dict(VERDICT, points="all")])
    answers = {"not json": "print('<html>')", "a forged shape": f"print({json.dumps(json.dumps(forged))})",
               "another learner": f"print({json.dumps(json.dumps(dict(RESULT, learner='y')))})"}
    for what, code in answers.items():
        monkeypatch.setattr(dispatch, "WORKER", [sys.executable, "-c", "import sys; sys.stdin.read(); " + code])
        result = grade_one(Item(nb, "x", "02"), GradeSettings(timeout=30))
        assert result.lost and result.learner == "x" and result.path == str(nb), what
        assert [(e.points, e.max) for e in result.exercises] == [(0, 2)], what  # the maximum never shrinks
        assert result.error.startswith("the grader's worker "), (what, result.error)
        assert "\n" not in result.error and "Traceback" not in result.error


def test_a_malformed_job_is_one_line_from_the_worker(tmp_path):
    for job in ("not json", json.dumps({"path": 3})):
        proc = subprocess.run([sys.executable, "-m", "labkit.grading.worker"], input=job, capture_output=True,
                              text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
        assert proc.returncode == 2 and proc.stdout == "", proc.stderr
        assert proc.stderr.startswith("labkit grade: the worker's job is malformed (") and proc.stderr.count("\n") == 1


def test_a_malformed_box_launch_is_one_line_from_the_launcher():
    launch = BoxLaunch(("true",), ("--ro-bind", "/usr", "/usr"), {"PATH": "/usr/bin"}, 1000, None, {"cpu": 9}, None, 1,
                       "1-1000")
    assert BoxLaunch.from_json(json.loads(json.dumps(launch.to_json()))) == launch
    for bad in ("not json", json.dumps(dict(launch.to_json(), binds=["--privileged", "/", "/"])),
                json.dumps(dict(launch.to_json(), uid="0"))):
        proc = subprocess.run([sys.executable, "-m", "labkit.grading.containerbox", "run", bad], capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 2 and proc.stdout == "", proc.stderr
        assert proc.stderr.startswith("labkit grade: the box launch is malformed (") and proc.stderr.count("\n") == 1


def test_a_graded_verdict_gives_the_hint_labkit_check_gave_first_for_what_it_found():
    """The grade's hint is the check's: a near miss's own hint, a wrong quiz choice's misconception, else the
    exercise's first hint; a hidden check's stays the exercise's (it never says what it found)."""
    from labkit.course.catalog import EXERCISES
    from labkit.course.checks import fitting_hints
    from labkit.course.nearmiss import Miss

    quiz = next(e for e in EXERCISES.values() if e.question is not None and e.kind != "hidden")
    wrong = next(key for key, _ in quiz.question.choices if key != quiz.question.correct)
    found = Miss(f"you chose {wrong!r}", quiz.question.mistake(wrong))
    verdict = ExerciseVerdict.judged(quiz, False, 0, "not yet", [("the chosen answer is right", False, found)])
    assert verdict.hint == quiz.question.mistake(wrong) == fitting_hints(quiz, [("x", False, found)])[0]
    assert verdict.hint and verdict.hint != quiz.hints[0]
    plain = ExerciseVerdict.judged(quiz, False, 0, "not yet", [("the chosen answer is right", False, "no choice")])
    assert plain.hint == quiz.hints[0]
    hidden = next((e for e in EXERCISES.values() if e.kind == "hidden" and e.hints), None)
    if hidden is not None:
        secret = ExerciseVerdict.judged(hidden, False, 0, "x", [("it", False, Miss("close", "a precise hint"))])
        assert secret.hint == hidden.hints[0]
