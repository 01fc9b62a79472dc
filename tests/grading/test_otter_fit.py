"""labkit in Otter-Grader's world: the lessons exported as Otter assignment notebooks that Otter's own `otter assign`
accepts and `otter run` (local grading, no Docker: the lab runs on the embedded engine) grades with labkit's scores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from labkit.admin.export_lessons import split_answer
from labkit.admin.export_otter import BEGIN, DISTRIBUTION, END, convert, export
from labkit.course.catalog import QUESTIONS, for_lesson
from labkit.errors import CommandError
from labkit.grading.run import grade
from labkit.grading.submission import metadata_notes
from labkit.version import __version__
from tests.grading.corpus import jobs_under, released

NAMES = {"01": "01-explicit-network", "05": "05-container-to-container", "14": "14-mental-locks"}
# Who hands in what: lessons 01 and 05 a correct, a wrong and a blank student; lesson 14 (seven quiz questions) one
# who answers the odd-numbered questions right and the even-numbered ones wrong; lesson 01 one who replaces
# labkit.check (kept to eight runs: CI's budget).
STUDENTS = [(lesson, who) for lesson in ("01", "05") for who in ("correct", "wrong", "blank")] + [("14", "wrong"),
                                                                                                 ("01", "cheat")]
CHEAT = ("import labkit\n\nclass Passed:\n    passed, message = True, 'passed'\n\n"
         "labkit.check = lambda *args, **kwargs: Passed()  # Otter's test now asks this")
WRONG = {"01-network": "network create day8-network", "05-server-ip": 'labkit.answer("05-server-ip", "10.9.8.7")'}


def raw_blocks(nb) -> list[str]:
    """The first line of each of Otter's raw block cells, in order."""
    return [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "raw"]


def exercise_cells(nb) -> dict[str, nbformat.NotebookNode]:
    """The exercise cells, by exercise id."""
    return {c.metadata["labkit"]["exercise"]: c for c in nb.cells if "labkit" in c.metadata}


# -- the exported notebook, cell by cell -----------------------------------------------------------------------------
@pytest.mark.parametrize("lesson", ["01", "05", "09", "14", "15"])
def test_every_exercise_becomes_a_question_worth_its_points_with_a_test_of_labkits_check(lesson):
    nb = convert(released(lesson), lesson, "x")
    assert raw_blocks(nb)[0] == "# ASSIGNMENT CONFIG"
    questions = [c.source for c in nb.cells if c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION")]
    assert questions == [f'# BEGIN QUESTION\nname: "{e.id}"\npoints: {e.points}' for e in for_lesson(lesson)]
    per_question = ["# BEGIN QUESTION", "# BEGIN SOLUTION", "# END SOLUTION", "# BEGIN TESTS", "# END TESTS",
                    "# END QUESTION"]
    assert raw_blocks(nb)[1:] == per_question * len(for_lesson(lesson))
    tests = [c.source for c in nb.cells if c.source.startswith("def test_")]
    for ex, test in zip(for_lesson(lesson), tests, strict=True):
        assert test.startswith(f"def test_{ex.id.replace('-', '_')}():") and f'labkit.check("{ex.id}")' in test
        assert "print(check)" in test and "assert check is not None and check.passed" in test
    assert not [c for c in nb.cells if c.get("outputs") or c.get("execution_count")]
    assert "widgets" not in nb.metadata
    assert not [c for c in nb.cells if c.cell_type == "code" and c.source.strip().startswith("labkit.check(")]
    setup = next(c for c in nb.cells if c.cell_type == "code")  # labkit.lesson("NN"), kept, not editable
    assert f'labkit.lesson("{lesson}")' in setup.source and not setup.metadata["editable"]
    assert metadata_notes(nb, lesson) == []  # labkit grade reads an exported notebook as the lesson it is


def test_the_scaffold_stays_and_the_solution_sits_in_lines_docker_and_otter_both_skip():
    nb = convert(released("01"), "01", NAMES["01"])
    assert exercise_cells(nb)["01-network"].source == f"%%docker\n# your command(s) here\n{BEGIN}\nnetwork create " \
        f"day8-net\n{END}"
    config = nb.cells[0].source
    assert f'requirements: ["{DISTRIBUTION}=={__version__}"]' in config and 'name: "01-explicit-network"' in config
    answer = exercise_cells(convert(released("05"), "05", "x"))["05-server-ip"].source
    assert answer.startswith('labkit.answer("05-server-ip", "...")\n' + BEGIN + "\n")
    nb = convert(released("09"), "09", "x")  # a %%writefile scaffold stays whole; the solution follows it
    i = next(i for i, c in enumerate(nb.cells) if c.source.startswith("%%writefile"))
    assert nb.cells[i + 1].source.splitlines()[1] == BEGIN and nb.cells[i + 2].source == "# END SOLUTION"
    tests = next(i for i, c in enumerate(nb.cells) if c.source == "# BEGIN TESTS")
    rebuild = next(i for i, c in enumerate(nb.cells) if c.source.startswith("%%docker\nbuild -t day8 day8"))
    assert i < rebuild < tests  # the question runs to where the lesson checks: after the rebuild


def test_quiz_questions_are_markdown_at_the_top_of_their_question():
    nb = convert(released("14"), "14", "x")
    for n in range(1, 8):
        q = QUESTIONS[f"14-lock-{n}"]
        begin = next(i for i, c in enumerate(nb.cells) if c.source.startswith(f'# BEGIN QUESTION\nname: "14-lock-{n}"'))
        question = nb.cells[begin + 1]
        assert question.cell_type == "markdown" and q.prompt in question.source
        assert all(text in question.source for _, text in q.choices)


def test_a_line_otter_would_read_as_a_marker_is_refused():
    nb = released("01")
    cell = exercise_cells(nb)["01-network"]
    cell.source += "\nnetwork create day8-net # SOLUTION"
    with pytest.raises(CommandError) as err:
        convert(nb, "01", "x")
    assert "lesson 01's cell" in err.value.stderr and err.value.stderr.count("\n") == 1
    assert err.value.stderr.endswith("has a line Otter would read as its own marker: network create day8-net # SOLUTION\n")


def test_export_writes_assignments_and_never_overwrites_unasked(tmp_path):
    lines = export(tmp_path, ["01", "14"])
    assert lines[0] == f"labkit export otter: 2 assignment(s) in {tmp_path}"
    folder = tmp_path / NAMES["01"]
    assert (folder / f"{NAMES['01']}.ipynb").is_file() and (folder / "assets" / "day8" / "server.py").is_file()
    (tmp_path / "mine.txt").write_text("the instructor's")
    with pytest.raises(CommandError) as err:
        export(tmp_path, ["01"])
    assert "already has 01-explicit-network; add --force" in err.value.stderr
    export(tmp_path, ["01"], force=True)
    assert (tmp_path / "mine.txt").read_text() == "the instructor's"
    proc = subprocess.run([sys.executable, "-m", "labkit", "export", "otter", str(tmp_path), "--lesson", "99"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no lesson 99" in proc.stderr


# -- Otter's own assign and run, on lessons 01, 05 and 14 -----------------------------------------------------------
def _otter(cwd: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "otter", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def _answers(lesson: str, who: str) -> dict[str, str]:
    """What a student adds under each exercise's scaffold: the course's solution (correct), nothing (blank), or a
    wrong answer (wrong: lesson 14's even-numbered questions answered wrong, its odd-numbered ones right)."""
    out = {}
    for ex in for_lesson(lesson):
        cell = nbformat.v4.new_code_cell(exercise_cells(released(lesson))[ex.id].source)
        _, solution = split_answer(cell, ex)
        right = "\n".join(solution)
        if who == "correct" or (who == "wrong" and ex.kind == "quiz" and int(ex.id[-1]) % 2):
            out[ex.id] = right
        elif who == "wrong":
            other = next(k for k, _ in QUESTIONS[ex.id].choices if f'answer="{k}"' not in right) \
                if ex.kind == "quiz" else None
            out[ex.id] = f'labkit.quiz("{ex.id}", answer="{other}")' if other else WRONG[ex.id]
    return out


def _hand_in(student_nb: Path, lesson: str, who: str, submitted: Path) -> Path:
    nb = nbformat.read(student_nb, as_version=4)
    answers = _answers(lesson, who)
    for ex_id, cell in exercise_cells(nb).items():
        if ex_id in answers:
            cell.source = cell.source.rstrip("\n") + "\n" + answers[ex_id]
    if who == "cheat":
        nb.cells.insert(next(i for i, c in enumerate(nb.cells) if c.source.startswith("grader.check(")),
                        nbformat.v4.new_code_cell(CHEAT))
    path = submitted / who / NAMES[lesson] / f"{NAMES[lesson]}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def otter_graded(tmp_path_factory):
    """Lessons 01, 05 and 14 exported, assigned by `otter assign`, handed in (STUDENTS) and graded by `otter run`
    on the embedded engine (a private daemon per run)."""
    pytest.importorskip("otter")
    root = tmp_path_factory.mktemp("otter")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
               LABKIT_ENGINE="sim")
    export(root / "course", list(NAMES))
    with ThreadPoolExecutor(3) as pool:
        assigned = dict(zip(NAMES, pool.map(lambda name: _otter(root / "course" / name, env, "assign", f"{name}.ipynb",
                                                                "dist"), NAMES.values()), strict=True))
    for lesson, proc in assigned.items():
        assert proc.returncode == 0, (lesson, proc.stderr[-3000:])
    hand_ins = {(lesson, who): _hand_in(root / "course" / NAMES[lesson] / "dist" / "student" / f"{NAMES[lesson]}.ipynb",
                                        lesson, who, root / "submitted")
                for lesson, who in STUDENTS}
    sims = []

    def run(key: tuple[str, str]) -> dict:
        lesson, who = key
        out = root / "runs" / lesson / who
        out.mkdir(parents=True)
        sim = tempfile.mkdtemp(prefix="lk-otter-")  # this run's own daemon (never sims[-1]: three threads append)
        sims.append(sim)
        [autograder] = (root / "course" / NAMES[lesson] / "dist" / "autograder").glob("*-autograder_*.zip")
        proc = _otter(out, dict(env, LABKIT_SIM_DIR=sim, LABKIT_SESSION=f"otter-{lesson}-{who}-{os.getpid()}"),
                      "run", "-a", str(autograder), "-o", str(out), "--no-logo", str(hand_ins[key]))
        assert proc.returncode == 0, (key, proc.stdout[-3000:], proc.stderr[-3000:])
        return json.loads((out / "results.json").read_text())

    try:
        with ThreadPoolExecutor(3) as pool:
            results = dict(zip(hand_ins, pool.map(run, hand_ins), strict=True))
    finally:
        from labkit.engines.sim import daemon

        for sim in sims:
            daemon.stop(os.path.join(sim, "engine.sock"))
    return root, results


def otter_points(results: dict) -> dict[str, float]:
    """Otter's score per question (its public-tests summary left out)."""
    return {t["name"]: t["score"] for t in results["tests"] if "score" in t}


@pytest.mark.sim_pass
def test_otters_student_notebook_keeps_each_scaffold_runnable(otter_graded):
    root, _ = otter_graded
    dist = root / "course" / NAMES["01"] / "dist"
    student = nbformat.read(dist / "student" / f"{NAMES['01']}.ipynb", as_version=4)
    assert exercise_cells(student)["01-network"].source == "%%docker\n# your command(s) here"  # no `...`, no marker
    assert not [c for c in student.cells if "SOLUTION" in c.source or "labkit.check" in c.source]
    assert 'grader.check("01-network")' in [c.source for c in student.cells]
    student14 = nbformat.read(root / "course" / NAMES["14"] / "dist" / "student" / f"{NAMES['14']}.ipynb", as_version=4)
    assert exercise_cells(student14)["14-lock-1"].source == 'labkit.quiz("14-lock-1")'
    [autograder] = (dist / "autograder").glob("*-autograder_*.zip")
    with zipfile.ZipFile(autograder) as z:
        assert f"{DISTRIBUTION}=={__version__}" in z.read("environment.yml").decode()  # the grading image has labkit
        assert "files/assets/day8/server.py" in z.namelist()


@pytest.mark.sim_pass
def test_otter_run_gives_each_student_labkits_points(otter_graded, tmp_path):
    root, results = otter_graded
    expected = {(lesson, who): {e.id: (e.points if who == "correct" or (who == "wrong" and lesson == "14" and
                                                                         int(e.id[-1]) % 2) else 0)
                                for e in for_lesson(lesson)}
                for lesson, who in STUDENTS}
    otter = {key: otter_points(r) for key, r in results.items()}
    assert otter.pop(("01", "cheat")) == {"01-network": 2}  # Otter runs the test in the student's kernel: see README
    assert otter == {key: points for key, points in expected.items() if key[1] != "cheat"}
    failed = next(t["output"] for t in results[("01", "wrong")]["tests"] if t["name"] == "01-network")
    assert "you created day8-network; the lesson's network is day8-net" in failed  # labkit's message, in Otter's
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    with jobs_under(jobs):
        graded = grade([str(root / "submitted")], str(tmp_path / "out"), jobs=2, timeout=120, cell_timeout=30,
                       say=lambda s: None)
    ours = {(r["lesson"], r["learner"]): {e["id"]: e["points"] for e in r["exercises"]} for r in graded}
    assert ours == expected  # labkit grade, on the same hand-ins, gives what Otter gave (and the cheat 0)
    assert all(r["error"] is None for r in graded)
