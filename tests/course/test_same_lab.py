"""The same notebook gives the same lab: what a learner copied from their notebook's output stays right.

Lessons 05 and 10 ask for an address looked up in the lab. After the engine has drifted (a dozen networks
created and removed, as a day of experiments does), the learner runs the released notebook, copies the address
from its output as a literal into the exercise cell, and the check passes — in that run, after a Restart & Run All
on a drifted engine again, from the grader's side (answers read from the answers file, checks run from another
process), and graded by `labkit grade` in a fresh lab of its own. A literal copied from the released notebook's
stored outputs is the same. An answer that was right and went stale says so. Lesson 15's fault is the learner's:
the same in every set-up, different across learners, and found with HOME empty.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from labkit import session
from labkit.contract.transcript import run_line
from labkit.course import addressing, answers, checks
from labkit.course.lessons import l15_troubleshooting as faults
from labkit.course.vocabulary import Context

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def _server_address(out: str) -> str:
    return out.split()[0]  # getent: "172.18.0.2      server"


def _client_address(out: str) -> str:
    line = next(x for x in out.splitlines() if x.startswith("client "))
    return line.split()[1].split("/")[0]  # "client   172.18.0.3/16 02:42:…", recorded without /16


# lesson -> (exercise, the start of the cell whose output the learner reads, how they read it, the address n)
LOOKUPS = {
    "05": ("05-server-ip", "%docker exec client getent hosts server", _server_address, 2),
    "10": ("10-client-ip", "import json\nnetwork = json.loads(labkit.docker(\"network inspect day8-net\")",
           _client_address, 3),
}


def released(lesson: str) -> nbformat.NotebookNode:
    """The lesson's notebook as released (with its stored outputs)."""
    [path] = NOTEBOOKS.glob(f"{lesson}-*.ipynb")
    return nbformat.read(path, as_version=4)


def output_of(nb: nbformat.NotebookNode, starts: str) -> str:
    """The text a code cell printed or showed as its result."""
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(starts))
    return "".join(o.get("text", "") if o.output_type == "stream" else o.get("data", {}).get("text/plain", "")
                   for o in cell.outputs)


def with_answer(lesson: str, literal: str) -> nbformat.NotebookNode:
    """The released notebook with its exercise cell holding the literal the learner copied."""
    nb = released(lesson)
    qid = LOOKUPS[lesson][0]
    cell = next(c for c in nb.cells if c.get("metadata", {}).get("labkit", {}).get("exercise") == qid)
    cell.source = f'labkit.answer("{qid}", "{literal}")'
    return nb


def drift(engine) -> None:
    """A day of experiments: a dozen networks created and removed, so the engine's next subnets have moved on."""
    for i in range(12):
        assert run_line(f"docker network create lk-drift-{i}", engine=engine).exit_code == 0
    for i in range(12):
        assert run_line(f"docker network rm lk-drift-{i}", engine=engine).exit_code == 0


def execute(nb: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    """Run every cell in a new kernel (Restart & Run All) in the learner's folder."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


@pytest.fixture
def folder(lab, tmp_path):
    """A learner's folder with the course's assets; the lab is cleaned before and after (the lab fixture)."""
    shutil.copytree(NOTEBOOKS / "assets", tmp_path / "assets")
    return tmp_path


@pytest.mark.engine
@pytest.mark.parametrize("lesson", sorted(LOOKUPS))
def test_a_literal_copied_after_drift_passes_now_after_a_rerun_and_from_the_graders_side(lesson, lab, folder,
                                                                                          monkeypatch):
    qid, lookup, read, n = LOOKUPS[lesson]
    drift(lab.engine)
    literal = read(output_of(execute(released(lesson), folder), lookup))
    assert literal == addressing.container_address("day8-net", n)  # what the lessons' text and examples say
    for run in ("first run", "Restart & Run All on a drifted engine"):
        drift(lab.engine)
        answers_file = folder / f".answers-{run[0]}.json"
        monkeypatch.setenv("LABKIT_ANSWERS", str(answers_file))
        nb = execute(with_answer(lesson, literal), folder)
        said = output_of(nb, f'labkit.check("{qid}")')
        assert said.startswith(f"PASS {qid}"), (run, said)
        graders = checks.evaluate(qid, Context(lab.engine, answers.load(str(answers_file)), folder))
        assert graders.passed, (run, str(graders))


@pytest.mark.parametrize("lesson", sorted(LOOKUPS))
def test_the_released_notebook_shows_the_address_the_lab_gives(lesson):
    qid, lookup, read, n = LOOKUPS[lesson]
    assert read(output_of(released(lesson), lookup)) == addressing.container_address("day8-net", n)


@pytest.mark.engine
def test_an_answer_right_when_recorded_says_the_lab_changed_once_it_is_stale(lab, folder, monkeypatch, capsys):
    import labkit
    from labkit.course.start import lesson

    monkeypatch.chdir(folder)
    me = session.current()
    monkeypatch.setattr(me, "answers", {})
    monkeypatch.setattr(me, "answers_file", str(folder / "answers.json"))  # as in a graded kernel
    lesson("05", quiet=True)
    address = lab.ok("docker exec client getent hosts server").stdout.split()[0]
    labkit.answer("05-server-ip", address)
    assert checks.check("05-server-ip").passed
    lab.ok("docker rm -f server")  # the lab changes: another container takes the address, server gets the next
    lab.ok("docker run -d --name web --network day8-net curlimages/curl:8.14.1 sleep infinity")
    lab.ok("docker run -d --name server --network day8-net day8")
    stale = checks.check("05-server-ip")
    assert not stale.passed
    assert "that was right when you recorded it, and the lab has changed since" in stale.message
    assert "Look it up again now" in stale.message
    graders = checks.evaluate("05-server-ip", Context(lab.engine, answers.load(str(folder / "answers.json")), folder))
    assert graders.message == stale.message  # the grade says what the check said
    labkit.answer("05-server-ip", address)  # recorded again, unchanged: wrong now, and named for what it is
    again = checks.check("05-server-ip")
    assert not again.passed and "that is web's address on day8-net" in again.message
    capsys.readouterr()


@pytest.mark.sim_pass
def test_graded_in_a_fresh_lab_the_copied_literals_get_full_points(tmp_path):
    from labkit.grading.run import grade
    from tests.grading.corpus import jobs_under

    subs = tmp_path / "subs"
    subs.mkdir()
    for lesson, (_qid, lookup, read, _n) in LOOKUPS.items():
        nb = with_answer(lesson, read(output_of(released(lesson), lookup)))  # copied from the stored outputs
        drifting = ("import labkit\nfor i in range(12):\n    labkit.docker(f'network create day-{i}')\n"
                    "for i in range(12):\n    labkit.docker(f'network rm day-{i}')")
        nb.cells.insert(0, nbformat.v4.new_code_cell(drifting))  # the grader's lab drifts before the set-up
        nbformat.write(nb, subs / f"alice-{lesson}.ipynb")
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    with jobs_under(jobs):
        results = grade([str(subs)], str(tmp_path / "out"), jobs=1, timeout=240, cell_timeout=60,
                        say=lambda s: None)
    scores = {r["lesson"]: [(e["id"], e["points"], e["max"], e["message"]) for e in r["exercises"]] for r in results}
    assert scores == {"05": [("05-server-ip", 2, 2, "passed")], "10": [("10-client-ip", 2, 2, "passed")]}, scores


# -- lesson 15: the learner's fault ------------------------------------------------------------------------
@pytest.fixture
def no_fault_override(monkeypatch):
    """No LABKIT_FAULT: the fault comes from the learner's identity alone."""
    monkeypatch.delenv("LABKIT_FAULT", raising=False)
    for var in ("LABKIT_LEARNER", "JUPYTERHUB_USER"):
        monkeypatch.delenv(var, raising=False)


def test_faults_differ_across_learners_and_each_is_someones(no_fault_override):
    drawn = {name: faults.drawn(name) for name in (f"learner-{i}" for i in range(60))}
    assert set(drawn.values()) == set(faults.FAULTS)
    assert faults.drawn("alice") != faults.drawn("bob") or faults.drawn("alice") != faults.drawn("carol")


def test_the_learner_is_labkit_learner_then_the_hub_user_then_the_login(no_fault_override, monkeypatch):
    monkeypatch.setenv("LOGNAME", "someone")
    monkeypatch.setenv("USER", "someone")
    assert faults.learner() == "someone"
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-alice")
    assert faults.learner() == "hub-alice"
    monkeypatch.setenv("LABKIT_LEARNER", "alice")
    assert faults.learner() == "alice" and faults.drawn() == faults.drawn("alice")


def test_the_fault_needs_no_home_and_no_file(no_fault_override, tmp_path):
    empty = tmp_path / "home"
    empty.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(empty), "LABKIT_LEARNER": "alice", "LOGNAME": "nobody",
           "USER": "nobody", "PYTHONPATH": str(ROOT)}
    code = "from labkit.course.lessons import l15_troubleshooting as faults; print(faults.drawn())"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=str(empty), capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == faults.drawn("alice")
    assert not any(empty.iterdir())


@pytest.mark.engine
def test_lesson_15_builds_the_learners_fault_every_time_and_the_grader_finds_it_with_home_empty(
        lab, folder, no_fault_override, monkeypatch, tmp_path):
    from labkit.course.start import lesson

    monkeypatch.chdir(folder)
    monkeypatch.setattr(session.current(), "answers", {})
    monkeypatch.setenv("LABKIT_LEARNER", "alice")
    monkeypatch.setenv("HOME", str(tmp_path / "learner-home"))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    fault = faults.drawn()
    symptoms = []
    for _ in range(2):  # Restart & Run All: the same fault, built again
        lesson("15", quiet=True)
        symptoms.append(lab("docker exec client curl -sS -m 5 http://api:3000").exit_code)
    assert symptoms[0] == symptoms[1] == {"wrong-network": 6, "default-bridge": 6, "missing-alias": 6,
                                          "loopback-bind": 7, "stale-image": 7, "wrong-port": 7}[fault]
    exec(faults.FAULT_SOLUTION, {})  # noqa: S102 - the course's own diagnosis and repair, as the learner runs it
    recorded = dict(session.current().answers)
    assert recorded["15-cause"] == fault

    # the grader's process: HOME empty, its own login, the learner named by the grader
    grader_home = tmp_path / "grader-home"
    grader_home.mkdir()
    monkeypatch.setenv("HOME", str(grader_home))
    monkeypatch.delenv("LABKIT_LEARNER")
    monkeypatch.setenv("LOGNAME", "grader")
    monkeypatch.setenv("USER", "grader")
    verdict = checks.evaluate("15-diagnosis", Context(lab.engine, recorded, folder, learner="alice"))
    assert verdict.passed, str(verdict)
    other = next(name for name in (f"learner-{i}" for i in range(60)) if faults.drawn(name) != fault)
    mistaken = checks.evaluate("15-diagnosis", Context(lab.engine, recorded, folder, learner=other))
    assert not mistaken.passed and f"not {fault}" in mistaken.message
    assert not any(grader_home.iterdir())
