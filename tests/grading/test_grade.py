"""labkit grade on a corpus: exact scores, clear messages, no points unearned, nothing left behind."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from labkit.errors import CommandError
from labkit.grading.run import grade
from tests.grading.corpus import corpus, jobs_under, released, running, solve

HIDDEN = '''
from labkit.grading.hidden import hidden_check

@hidden_check("02-log", lesson="02", points=1, title="The server said it listens",
              hints=("What does `docker logs server` show?",))
def _(ctx):
    log = ctx.docker("logs server").stdout
    return [("server's log says it listens", "Server listening on port 3000" in log, "its log: " + log.strip())]
'''


def sim_servers(under: str) -> int:
    """How many graded submissions' lab daemons run among those whose job folder is under `under`: another
    grading run on this machine is none of this test's business."""
    return sum(" -m labkit.engines.sim.daemon serve " in p for p in running(under))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The whole corpus graded once, two at a time, with short timeouts."""
    subs = tmp_path_factory.mktemp("subs")
    expected = corpus(subs)
    out = tmp_path_factory.mktemp("out")
    jobs = str(tmp_path_factory.mktemp("jobs"))  # this run's job folders, so its daemons can be told apart
    with jobs_under(jobs):
        results = grade([str(subs)], str(out), jobs=2, timeout=120, cell_timeout=5, say=lambda s: None)
    return expected, {r["learner"]: r for r in results}, out, jobs


@pytest.mark.sim_pass
def test_every_submission_gets_exactly_its_score_and_says_why(graded):
    expected, results, _, _ = graded
    assert set(results) == set(expected)
    for learner, (points, most, phrase) in expected.items():
        r = results[learner]
        got = sum(e["points"] for e in r["exercises"])
        assert (got, sum(e["max"] for e in r["exercises"])) == (points, most), (learner, r)
        text = json.dumps(r, ensure_ascii=False)
        assert phrase in text, (learner, phrase, text[:600])


@pytest.mark.sim_pass
def test_reports_are_written(graded):
    expected, results, out, _ = graded
    data = json.loads((out / "results.json").read_text())
    assert {s["learner"]: s["points"] for s in data["submissions"]} == {k: v[0] for k, v in expected.items()}
    suites = ET.parse(out / "junit.xml").getroot().findall("testsuite")
    assert {s.get("name") for s in suites} == set(expected)
    blank = next(s for s in suites if s.get("name") == "blank-02")
    assert blank.get("failures") == "1" and blank.find("testcase/failure") is not None
    md = (out / "feedback" / "blank-02.md").read_text()
    assert "Score: 0 / 2" in md and "Hint: Which flags give a container a name" in md
    assert "<h1>Feedback for blank-02" in (out / "feedback" / "blank-02.html").read_text()
    rows = (out / "summary.csv").read_text().splitlines()
    assert rows[0].startswith("learner,lesson,points,max,graded,error,02-server") and len(rows) == len(expected) + 1
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.sim_pass
def test_nothing_is_left_running(graded):
    *_, jobs = graded
    assert sim_servers(jobs) == 0


@pytest.mark.sim_pass
def test_hidden_checks_count_and_stay_grader_side(tmp_path):
    hidden = tmp_path / "hidden_checks.py"
    hidden.write_text(HIDDEN)
    import nbformat

    nbformat.write(solve(released("02")), tmp_path / "done-02.ipynb")
    nbformat.write(released("02"), tmp_path / "blank-02.ipynb")
    results = {r["learner"]: r for r in grade([str(tmp_path / "done-02.ipynb"), str(tmp_path / "blank-02.ipynb")],
                                              str(tmp_path / "out"), hidden=[str(hidden)], say=lambda s: None)}
    assert [(e["id"], e["points"], e["max"]) for e in results["done-02"]["exercises"]] == [("02-server", 2, 2),
                                                                                          ("02-log", 1, 1)]
    assert sum(e["points"] for e in results["blank-02"]["exercises"]) == 0
    assert "What does `docker logs server` show?" in (tmp_path / "out" / "feedback" / "blank-02.md").read_text()


@pytest.mark.sim_pass
def test_parallel_jobs_do_not_interfere(tmp_path):
    import nbformat

    for n in range(2):
        nbformat.write(solve(released("11")), tmp_path / f"learner{n}-11.ipynb")
        nbformat.write(solve(released("05")), tmp_path / f"learner{n}-05.ipynb")
    results = grade([str(tmp_path)], str(tmp_path / "out"), jobs=2, say=lambda s: None)
    assert all(e["passed"] for r in results for e in r["exercises"]), [r["exercises"] for r in results]


@pytest.mark.sim_pass
def test_a_submission_that_overruns_is_stopped_and_graded(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell

    nb = released("02")
    nb.cells[1:1] = [new_code_cell("import time\ntime.sleep(2)") for _ in range(6)]
    nbformat.write(nb, tmp_path / "slow-02.ipynb")
    [r] = grade([str(tmp_path / "slow-02.ipynb")], str(tmp_path / "out"), timeout=5, say=lambda s: None)
    assert any("ran longer than 5 s (the --timeout given)" in n for n in r["notes"]) and r["exercises"][0]["points"] == 0


@pytest.mark.sim_pass
def test_docker_needs_trust_and_bad_input_is_one_line(tmp_path, capsys):
    with pytest.raises(CommandError) as err:
        grade([str(tmp_path)], str(tmp_path / "out"), engine="docker", say=lambda s: None)
    assert "--trust-submissions" in err.value.stderr and err.value.stderr.count("\n") == 1
    proc = subprocess.run([sys.executable, "-m", "labkit", "grade", str(tmp_path / "nope.ipynb"), "--out",
                           str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "does not exist" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_grading_on_docker_when_trusted(docker_only, tmp_path):
    import nbformat

    nbformat.write(solve(released("02")), tmp_path / "done-02.ipynb")
    nbformat.write(released("02"), tmp_path / "blank-02.ipynb")
    results = {r["learner"]: r for r in grade([str(tmp_path)], str(tmp_path / "out"), engine="docker", trust=True,
                                              jobs=2, say=lambda s: None)}
    assert results["done-02"]["exercises"][0]["points"] == 2 and results["blank-02"]["exercises"][0]["points"] == 0
    from labkit.ownership import sessions_present

    assert not [s for s in sessions_present(docker_only) if s.startswith("grade-")]
