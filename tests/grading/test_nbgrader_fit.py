"""labkit in nbgrader's world: the lessons exported as an nbgrader course that nbgrader's own pipeline grades right,
and labkit's gradebook in the long form nbgrader exports (what LMS import scripts read)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from labkit.admin.export_nbgrader import BEGIN, END, STUB, convert, export
from labkit.course.catalog import EXERCISES, QUESTIONS, for_lesson
from labkit.errors import CommandError
from labkit.grading.report import LONG_COLUMNS, csv_text, gradebook_long_rows
from labkit.grading.run import grade
from labkit.grading.submission import metadata_notes
from tests.grading.corpus import jobs_under, released

LESSON01 = "01-explicit-network"
CHEAT = ("import labkit\n\nclass Passed:\n    passed, message = True, 'passed'\n\n"
         "labkit.check = lambda *args, **kwargs: Passed()  # nbgrader's test cell now asks this")


def nbgrader_cells(nb) -> dict[str, nbformat.NotebookNode]:
    """The cells nbgrader knows, by grade id."""
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}


# -- the exported source, cell by cell ------------------------------------------------------------------------------
@pytest.mark.parametrize("lesson", ["01", "05", "09", "14", "15"])
def test_every_exercise_becomes_an_answer_and_a_locked_test_worth_its_points(lesson):
    nb = convert(released(lesson), lesson)
    cells = nbgrader_cells(nb)
    tests = {gid: c for gid, c in cells.items() if c.metadata["nbgrader"]["grade"]}
    assert set(tests) == {e.id for e in for_lesson(lesson)}
    for ex in for_lesson(lesson):
        test, answer = tests[ex.id], cells[f"{ex.id}-answer"]
        assert test.metadata["nbgrader"] == {"grade": True, "grade_id": ex.id, "locked": True, "points": ex.points,
                                             "schema_version": 3, "solution": False}
        assert f'labkit.check("{ex.id}")' in test.source and "assert _check is not None and _check.passed" in test.source
        assert answer.metadata["nbgrader"]["solution"] and not answer.metadata["nbgrader"]["grade"]
        assert answer.source.count(BEGIN) == answer.source.count(END) == 1
        assert nb.cells.index(answer) < nb.cells.index(test)
    assert not [c for c in nb.cells if c.get("outputs") or c.get("execution_count")]
    assert "widgets" not in nb.metadata
    setup = [c for c in nb.cells if c.cell_type == "code" and "nbgrader" not in c.metadata]
    assert [c.source.splitlines()[0] for c in setup] == (["%%writefile day8/server.py"] if lesson == "09" else [])
    assert nbgrader_cells(nb)["setup-1"].metadata["nbgrader"]["locked"]  # labkit.lesson("NN"), locked
    assert f'labkit.lesson("{lesson}")' in nbgrader_cells(nb)["setup-1"].source
    assert metadata_notes(nb, lesson) == []  # labkit grade reads an exported notebook as the lesson it is


def test_the_scaffold_stays_and_the_solution_sits_between_the_markers():
    nb = convert(released("01"), "01")
    answer = nbgrader_cells(nb)["01-network-answer"].source
    assert answer == f"%%docker\n# your command(s) here\n{BEGIN}\nnetwork create day8-net\n{END}"
    assert [c.source for c in nb.cells].count('labkit.check("01-network")') == 0  # the test took its place
    nb = convert(released("05"), "05")
    answer = nbgrader_cells(nb)["05-server-ip-answer"].source
    assert answer.startswith('labkit.answer("05-server-ip", "...")\n' + BEGIN + "\n")
    assert EXERCISES["05-server-ip"].solution.strip() in answer
    nb = convert(released("09"), "09")  # a %%writefile scaffold stays whole; the answer cell follows it
    i = next(i for i, c in enumerate(nb.cells) if c.source.startswith("%%writefile"))
    assert nb.cells[i + 1].metadata["nbgrader"]["grade_id"] == "09-fix-answer"
    test = nb.cells.index(nbgrader_cells(nb)["09-fix"])
    rebuild = next(i for i, c in enumerate(nb.cells) if c.source.startswith("%%docker\nbuild -t day8 day8"))
    assert rebuild < test  # the test runs where the lesson checks: after the rebuild


def test_quiz_questions_are_shown_as_locked_markdown():
    nb = convert(released("14"), "14")
    cells = nbgrader_cells(nb)
    for n in range(1, 8):
        q, question = QUESTIONS[f"14-lock-{n}"], cells[f"14-lock-{n}-question"]
        assert question.cell_type == "markdown" and question.metadata["nbgrader"]["locked"]
        assert q.prompt in question.source and all(text in question.source for _, text in q.choices)
        assert nb.cells.index(question) + 1 == nb.cells.index(cells[f"14-lock-{n}-answer"])


def test_export_writes_a_course_and_never_overwrites_unasked(tmp_path, capsys):
    lines = export(tmp_path, ["01", "14"])
    assert lines[0].startswith("labkit export nbgrader: 2 assignment(s)")
    source = tmp_path / "source" / LESSON01
    assert (source / f"{LESSON01}.ipynb").is_file() and (source / "assets" / "day8" / "server.py").is_file()
    assert STUB in (tmp_path / "nbgrader_config.py").read_text()
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")  # the instructor's own: kept, told what to add
    with pytest.raises(CommandError) as err:
        export(tmp_path, ["01"])
    assert "already has 01-explicit-network; add --force" in err.value.stderr
    assert any("kept as it is" in line for line in export(tmp_path, ["01"], force=True))
    assert (tmp_path / "nbgrader_config.py").read_text() == "c = get_config()\n"
    proc = subprocess.run([sys.executable, "-m", "labkit", "export", "nbgrader", str(tmp_path), "--lesson", "99"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no lesson 99" in proc.stderr


# -- the long gradebook ----------------------------------------------------------------------------------------------
def test_the_long_gradebook_has_nbgraders_columns_and_no_invented_zero():
    ex = [{"id": "02-server", "points": 2, "max": 2, "passed": True}]
    results = [
        {"learner": "=cmd|' /C calc'!A0", "assignment": "02-server-container", "lesson": "02", "error": None,
         "exercises": ex, "timestamp": "2025-03-01 09:30:00.500000"},
        {"learner": "bob", "assignment": None, "lesson": "02", "error": "its grading ran out of time",
         "exercises": [dict(ex[0], points=0, passed=False)]},
    ]
    header, rows = gradebook_long_rows(results)
    assert header == LONG_COLUMNS
    table = list(csv.DictReader(io.StringIO(csv_text(header, rows))))
    assert [(r["assignment"], r["student_id"], r["raw_score"], r["score"], r["max_score"]) for r in table] == [
        ("02-server-container", "'=cmd|' /C calc'!A0", "2.0", "2.0", "2.0"),  # formula-safe
        ("02-server-container", "bob", "", "", "2.0")]  # a loose file: the released name; not graded: empty, not 0
    assert table[0]["timestamp"] == "2025-03-01 09:30:00.500000" and table[0]["late_submission_penalty"] == "0.0"


# -- nbgrader's own pipeline, on the exported lesson 01 --------------------------------------------------------------
def _nbgrader(course: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=600)


def _student(course: Path, who: str, answer: str | None, before_test: str | None = None) -> Path:
    """A student's hand-in: the released notebook, its answer stub replaced (or left), maybe with a cell added."""
    nb = nbformat.read(course / "release" / LESSON01 / f"{LESSON01}.ipynb", as_version=4)
    cells = nbgrader_cells(nb)
    if answer is not None:
        cells["01-network-answer"].source = cells["01-network-answer"].source.replace(STUB, answer)
    if before_test is not None:
        nb.cells.insert(nb.cells.index(cells["01-network"]), new_code_cell(before_test))
    path = course / "submitted" / who / LESSON01 / f"{LESSON01}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def nbgrader_course(tmp_path_factory):
    """Lesson 01 exported, released, handed in by four students and graded by nbgrader on the embedded engine."""
    pytest.importorskip("nbgrader")
    course = tmp_path_factory.mktemp("course")
    sim = tempfile.mkdtemp(prefix="lk-nbg-")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
               LABKIT_ENGINE="sim", LABKIT_SIM_DIR=sim, LABKIT_SESSION=f"nbgrader-{os.getpid()}")
    export(course, ["01"])
    try:
        steps = {"generate": _nbgrader(course, env, "generate_assignment", LESSON01)}
        released_nb = nbformat.read(course / "release" / LESSON01 / f"{LESSON01}.ipynb", as_version=4)
        paths = {"correct": _student(course, "correct", "network create day8-net"),
                 "wrong": _student(course, "wrong", "network create day8-network"),
                 "blank": _student(course, "blank", None),
                 "cheat": _student(course, "cheat", None, before_test=CHEAT)}
        steps["autograde"] = _nbgrader(course, env, "autograde", LESSON01)
        steps["feedback"] = _nbgrader(course, env, "generate_feedback", LESSON01)
        steps["export"] = _nbgrader(course, env, "export")
        steps["validate"] = _nbgrader(course, env, "validate", str(paths["wrong"]), str(paths["correct"]))
    finally:
        from labkit.engines.sim import daemon

        daemon.stop(os.path.join(sim, "engine.sock"))
    return course, steps, released_nb


@pytest.mark.sim_pass
def test_nbgraders_pipeline_gives_each_student_their_score(nbgrader_course):
    course, steps, released_nb = nbgrader_course
    for name, proc in steps.items():
        if name != "validate":
            assert proc.returncode == 0, (name, proc.stderr[-3000:])
    answer = nbgrader_cells(released_nb)["01-network-answer"].source
    assert answer == f"%%docker\n# your command(s) here\n{STUB}"  # the scaffold stays; no NotImplementedError
    assert (course / "grades.csv").read_text().splitlines()[0] == ",".join(LONG_COLUMNS)  # gradebook-long.csv's
    grades = {r["student_id"]: (r["score"], r["max_score"]) for r in csv.DictReader((course / "grades.csv").open())}
    assert grades == {"correct": ("2.0", "2.0"), "wrong": ("0.0", "2.0"), "blank": ("0.0", "2.0"),
                      "cheat": ("2.0", "2.0")}  # nbgrader runs the student's code unsandboxed: see the README
    feedback = (course / "feedback" / "wrong" / LESSON01 / f"{LESSON01}.html").read_text()
    assert "you created day8-network; the lesson&#39;s network is day8-net" in feedback.replace("'", "&#39;")
    validate = steps["validate"].stdout + steps["validate"].stderr
    assert validate.count("VALIDATION FAILED ON 1 CELL(S)!") == 1 and "Success! Your notebook passes all the tests." in \
        validate, validate[-3000:]
    assert validate.index("VALIDATION FAILED") < validate.index("Success!")  # the wrong one (named first) fails


@pytest.mark.sim_pass
def test_labkit_grade_gives_nbgraders_hand_ins_their_true_scores(nbgrader_course, tmp_path):
    course, *_ = nbgrader_course
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    with jobs_under(jobs):
        results = {r["learner"]: r for r in grade([str(course / "submitted")], str(tmp_path / "out"), jobs=2,
                                                  timeout=120, cell_timeout=20, say=lambda s: None)}
    points = {who: sum(e["points"] for e in r["exercises"]) for who, r in results.items()}
    assert points == {"correct": 2, "wrong": 0, "blank": 0, "cheat": 0}  # replacing labkit.check changes nothing
    for r in results.values():  # read as lesson 01, every cell as released: no note on its cells' metadata
        assert r["error"] is None and not [n for n in r["notes"] if "exercise" in n or "metadata" in n], r["notes"]
    assert results["wrong"]["notes"] == ["1 cell(s) raised an error; the cells after them still ran"]  # nbgrader's test
    ours = list(csv.DictReader((tmp_path / "out" / "gradebook-long.csv").open()))
    theirs = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").open())}
    same = ("assignment", "raw_score", "late_submission_penalty", "score", "max_score")
    for row in ours:
        if row["student_id"] != "cheat":
            assert {k: row[k] for k in same} == {k: theirs[row["student_id"]][k] for k in same}


# -- labkit's grades in nbgrader's gradebook, its feedback released by nbgrader --------------------------------------
def test_a_course_without_a_gradebook_is_refused_before_grading(tmp_path):
    pytest.importorskip("nbgrader")
    nbformat.write(released("01"), tmp_path / "alice-01.ipynb")
    with pytest.raises(CommandError) as err:
        grade([str(tmp_path / "alice-01.ipynb")], str(tmp_path / "out"), say=lambda s: None,
              nbgrader_course=str(tmp_path))
    assert "has no gradebook.db; run nbgrader generate_assignment" in err.value.stderr
    assert err.value.stderr.count("\n") == 1 and not (tmp_path / "out").exists()


@pytest.mark.sim_pass
def test_labkits_grades_go_into_nbgraders_gradebook_and_its_feedback_is_released(tmp_path):
    pytest.importorskip("nbgrader")
    from nbgrader.utils import notebook_hash

    course = tmp_path / "course"
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    export(course, ["01"])
    assert _nbgrader(course, env, "generate_assignment", LESSON01).returncode == 0
    hand_ins = {"correct": _student(course, "correct", "network create day8-net"),
                "blank": _student(course, "blank", None),
                "theirs": _student(course, "theirs", None)}
    for who, path in hand_ins.items():  # what nbgrader's collect leaves beside a hand-in
        (path.parent / "timestamp.txt").write_text("2025-03-01 09:30:00.000000 UTC")
        (path.parent / "submission_secret.txt").write_text(who * 8)
    theirs = course / "feedback" / "theirs" / LESSON01  # nbgrader's own generate_feedback was here: never replaced
    theirs.mkdir(parents=True)
    for name in ("timestamp.txt", "submission_secret.txt"):
        (theirs / name).write_bytes((hand_ins["theirs"].parent / name).read_bytes())
    (theirs / f"{LESSON01}.html").write_text("nbgrader's own feedback")
    said: list[str] = []
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    with jobs_under(jobs):
        grade([str(course / "submitted")], str(tmp_path / "out"), jobs=2, timeout=120, cell_timeout=20,
              say=said.append, nbgrader_course=str(course))
    assert any("3 submission(s) in gradebook.db, 2 feedback page(s)" in s for s in said), said
    assert any("theirs/01-explicit-network" in s and "labkit did not write" in s for s in said), said
    assert _nbgrader(course, env, "export").returncode == 0
    grades = {r["student_id"]: (r["score"], r["max_score"], r["timestamp"])
              for r in csv.DictReader((course / "grades.csv").open())}
    assert grades == {"correct": ("2.0", "2.0", "2025-03-01 09:30:00"), "blank": ("0.0", "2.0", "2025-03-01 09:30:00"),
                      "theirs": ("0.0", "2.0", "2025-03-01 09:30:00")}
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    proc = _nbgrader(course, env, "release_feedback", LESSON01, "--course", "labkit", f"--Exchange.root={exchange}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    outbound = exchange / "labkit" / "feedback"
    released_pages = {who: (outbound / f"{notebook_hash(secret=who * 8, notebook_id=LESSON01)}.html").read_text()
                      for who in hand_ins}
    assert "Score: 2 / 2 points" in released_pages["correct"] and "Feedback for blank" in released_pages["blank"]
    assert released_pages["theirs"] == "nbgrader's own feedback"
