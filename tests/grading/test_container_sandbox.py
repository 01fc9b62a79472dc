"""`labkit grade --sandbox container`: the two boxes made as Docker containers on this machine's daemon.

Runs in the sim pass (where the suite's grading runs go one at a time) wherever this machine's Docker daemon
answers; the boxes need no network, so a pass in a network namespace of its own reaches it. Honest submissions
get exactly the scores bubblewrap gives them (lesson 11's host-side request goes into the lab container's network
namespace), and the attacks that aim at the grader, labkit's files, the lab and the clock gain nothing, with
nothing left behind: no container, no process of a box's uid.
"""

from __future__ import annotations

import json
import os

import docker
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from labkit.errors import CommandError
from labkit.grading import containerbox
from labkit.grading.run import choose_sandbox, grade
from tests.grading.corpus import BOX_UIDS, jobs_under, released, solve
from tests.grading.test_adversarial import SETUP, attacks, leftovers, snapshot

pytestmark = pytest.mark.sim_pass
ATTACKS = ("kill-grader", "append-labkit", "forge-lab", "detached")  # the grader, labkit, the lab, the clock


def boxes(jobs: str) -> list[str]:
    """The sandbox containers of the run whose job folders were under jobs, on the daemon (running or not): a box's
    label is its worker's pid and its uid, one this run's boxes ran as (as root; as an ordinary user every box of
    this user's has the user's uid). Another grading run's boxes on the same daemon are not this run's."""
    uids = {str(u) for u in (BOX_UIDS.get(jobs, set()) if os.getuid() == 0 else {os.getuid()})}
    api = docker.APIClient()
    try:
        listed = api.containers(all=True, filters={"label": containerbox.LABEL})
    finally:
        api.close()
    return [c["Id"] for c in listed if (c.get("Labels") or {}).get(containerbox.LABEL, "").rpartition("-")[2] in uids]


@pytest.fixture(scope="module")
def local_daemon():
    """Skip where no Docker daemon of this machine can make a container sandbox."""
    problem = containerbox.probe()
    if problem:
        pytest.skip(f"--sandbox container: {problem}")


@pytest.fixture(scope="module")
def graded_in_containers(local_daemon, tmp_path_factory):
    """Honest submissions and attacks (each followed by an honest classmate), graded two at a time in containers."""
    base = tmp_path_factory.mktemp("cbox")
    subs, out = base / "subs", base / "out"
    subs.mkdir()
    for lesson, solved in (("09", True), ("11", False), ("11", True)):
        nb = solve(released(lesson)) if solved else released(lesson)
        nbformat.write(nb, subs / f"h-{lesson}-{'done' if solved else 'todo'}-{lesson}.ipynb")
    t = {"pytest": os.getpid(), "out": str(out), "hidden": str(base / "none.py"), "home": os.path.expanduser("~"),
         "classmate": str(subs / "b-detached-classmate-02.ipynb")}
    every = attacks(t)
    for name in ATTACKS:
        lesson, cells = every[name]
        nb = new_notebook(cells=[new_code_cell(SETUP.format(lesson=lesson)), *map(new_code_cell, cells)])
        nbformat.write(nb, subs / f"a-{name}-{lesson}.ipynb")
        nbformat.write(solve(released("02")), subs / f"b-{name}-classmate-02.ipynb")
    before = snapshot()
    with jobs_under(tmp_path_factory.mktemp("jobs")) as jobs:
        results = grade([str(subs)], str(out), jobs=2, timeout=25, cell_timeout=5, say=lambda s: None,
                        sandbox_name="container", limits={"processes": 100})
    return {r["learner"]: r for r in results}, out, before, jobs


def points(r: dict) -> tuple[int, int]:
    return sum(e["points"] for e in r["exercises"]), sum(e["max"] for e in r["exercises"])


def test_the_sandbox_is_said_and_its_image_made_offline(local_daemon):
    kind, line = choose_sandbox("container", False, "sim")
    assert kind == "container" and containerbox.image_name() in line
    api = docker.APIClient()
    try:
        image = api.inspect_image(containerbox.image_name())
    finally:
        api.close()
    assert image["Size"] < 1 << 16  # folders and links only: the system is bound in read-only, never copied


def test_honest_submissions_get_their_scores(graded_in_containers):
    results, out, *_ = graded_in_containers
    assert points(results["h-09-done-09"]) == (3, 3)
    assert points(results["h-11-todo-11"]) == (0, 2)
    assert points(results["h-11-done-11"]) == (2, 2)  # the host-side curl reached the lab's published port
    data = json.loads((out / "results.json").read_text())
    assert data["sandbox"] == "container"


@pytest.mark.parametrize("name", ATTACKS)
def test_an_attack_gains_nothing_in_a_container(graded_in_containers, name):
    results, *_ = graded_in_containers
    r = results[f"a-{name}-{attacks({k: '' for k in ('pytest', 'out', 'hidden', 'home', 'classmate')})[name][0]}"]
    assert points(r)[0] == 0 and not r.get("error"), r
    assert points(results[f"b-{name}-classmate-02"]) == (2, 2)


def test_nothing_changed_and_nothing_is_left(graded_in_containers):
    _, _, before, jobs = graded_in_containers
    assert snapshot() == before
    assert os.getuid() != 0 or BOX_UIDS[jobs]  # as root, the boxes' uids were seen: the checks below cover them
    assert leftovers(jobs) == []
    assert boxes(jobs) == []


def test_a_daemon_that_cannot_be_reached_is_one_line(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(CommandError) as err:
        choose_sandbox("container", False, "sim")
    assert err.value.exit_code == 2 and err.value.stderr.count("\n") == 1
    assert "--sandbox container needs this machine's Docker daemon" in err.value.stderr
