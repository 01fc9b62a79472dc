"""Lesson 15, the finale: each fault is really in the lab it builds, the right diagnosis plus a repair passes, and
a wrong diagnosis fails with its own message — on the engine under test (both passes)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from labkit import session
from labkit.course import checks
from labkit.course.lessons import l15_troubleshooting as faults
from labkit.course.vocabulary import Context

pytestmark = pytest.mark.engine
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
URL = "http://api:3000"

# the first sign of each fault, as client sees it: curl's exit code for http://api:3000
SYMPTOM = {"wrong-network": 6, "default-bridge": 6, "missing-alias": 6, "loopback-bind": 7, "stale-image": 7,
           "wrong-port": 7}
REPAIR = {
    "wrong-network": ["docker network connect day8-net client"],
    "default-bridge": ["docker rm -f server", "docker run -d --name server --network day8-net --network-alias api day8"],
    "missing-alias": ["docker rm -f server", "docker run -d --name server --network day8-net --network-alias api "
                      "day8:v2"],
    "loopback-bind": ["docker rm -f server", "docker run -d --name server --network day8-net --network-alias api day8"],
    "stale-image": ["docker rm -f server", "docker run -d --name server --network day8-net --network-alias api "
                    "day8:v2"],
    "wrong-port": ["docker rm -f server", "docker run -d --name server --network day8-net --network-alias api day8"],
}


@pytest.fixture
def lesson15(lab, tmp_path, monkeypatch):
    """Build lesson 15's lab with a chosen fault (LABKIT_FAULT), in a learner's folder of its own."""
    shutil.copytree(NOTEBOOKS / "assets", tmp_path / "assets")
    monkeypatch.chdir(tmp_path)
    me = session.current()
    saved = dict(me.answers)
    me.answers.clear()

    def build(fault: str):
        from labkit.course.start import lesson

        monkeypatch.setenv("LABKIT_FAULT", fault)
        lesson("15", quiet=True)
        return lab

    yield build
    me.answers.clear()
    me.answers.update(saved)


def _verdict(lab, cause: str | None):
    answers = {"15-cause": cause} if cause is not None else {}
    return checks.evaluate("15-diagnosis", Context(lab.engine, answers, Path(os.getcwd())))


@pytest.mark.parametrize("fault", faults.FAULTS)
def test_each_fault_is_in_the_lab_and_only_the_right_diagnosis_with_a_repair_passes(lesson15, fault):
    lab = lesson15(fault)
    assert faults.drawn() == fault
    r = lab(f"docker exec client curl -sS -m 5 {URL}")
    assert r.exit_code == SYMPTOM[fault], (r.exit_code, r.stderr)
    if fault == "missing-alias":  # the service answers by its container name, not by api
        assert "Hello from inside the container" in lab.ok("docker exec client curl -sS -m 5 http://server:3000").stdout
    if fault == "stale-image":  # server runs an older build than the tag
        running = lab.ok("docker inspect --format {{.Image}} server").stdout.strip()
        tagged = lab.ok("docker inspect --format {{.Id}} day8:v2").stdout.strip()
        assert running != tagged

    wrong = next(f for f in faults.FAULTS if f != fault)
    before = _verdict(lab, fault)
    assert not before.passed and "curl said" in before.message  # right cause, not repaired yet
    for line in REPAIR[fault]:
        lab.ok(line)
    after = _verdict(lab, fault)
    assert after.passed, str(after)
    mistaken = _verdict(lab, wrong)
    assert not mistaken.passed
    assert f"not {wrong}: that would look like this — {faults.CAUSES[wrong]}" in mistaken.message


def test_the_check_without_a_valid_cause_says_the_same_whatever_the_fault(lesson15):
    lab = lesson15("wrong-port")
    nothing, typo = _verdict(lab, None), _verdict(lab, "loopback")
    assert [p[0] for p in nothing.parts] == ["a cause from the course's list is recorded"]
    assert "nothing recorded yet" in nothing.message and "wrong-network, default-bridge" in nothing.message
    assert "you recorded 'loopback'; write one of" in typo.message


def test_the_lesson_prints_the_same_lines_for_every_fault(lesson15, capsys):
    from labkit.course.start import lesson

    printed = set()
    for fault in ("wrong-network", "loopback-bind"):
        lesson15(fault)
        os.environ["LABKIT_FAULT"] = fault
        lesson("15")
        printed.add(capsys.readouterr().out)
    assert len(printed) == 1 and "one, hidden" in printed.pop()


@pytest.mark.parametrize("fault", faults.FAULTS)
def test_the_released_solution_diagnoses_and_repairs_every_fault(lesson15, fault, capsys):
    lab = lesson15(fault)
    exec(faults.FAULT_SOLUTION, {})  # noqa: S102 - the course's own solution cell, as the learner would run it
    assert f"recorded 15-cause = '{fault}'" in capsys.readouterr().out
    verdict = checks.evaluate("15-diagnosis", Context(lab.engine, dict(session.current().answers), Path(os.getcwd())))
    assert verdict.passed, str(verdict)
