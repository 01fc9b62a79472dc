"""A whole course, solved as the lessons teach, graded as an instructor grades it: every exercise of every lesson
gets its points, as root and as an ordinary user on bubblewrap, and (for the lessons whose checks reach the
lab's host side or keep state outside the lab) in containers — the grade says what `labkit.check` says."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from labkit.course.exercises import for_lesson
from labkit.course.lessons import LESSONS
from labkit.grading.run import grade
from tests.grading.corpus import NOTEBOOKS, jobs_under, released, solve
from tests.grading.test_adversarial import leftovers

ROOT = Path(__file__).resolve().parents[2]
HOST_SIDE = ("05", "11", "15")  # an address looked up, a published port from the host, a drawn fault


def course(folder: Path, learner: str, lessons) -> None:
    """The learner's solved notebooks in nbgrader's layout: submitted/<learner>/<released name>/<released name>."""
    for lesson in lessons:
        [path] = NOTEBOOKS.glob(f"{lesson}-*.ipynb")
        where = folder / "submitted" / learner / path.stem
        where.mkdir(parents=True)
        nbformat.write(solve(released(lesson)), where / path.name)


def modes() -> list[str]:
    found = ["user-bwrap"]
    if os.getuid() == 0:
        found.insert(0, "root-bwrap")
        if shutil.which("docker") and subprocess.run(["docker", "info"], capture_output=True).returncode == 0:
            found.append("root-container")
    return found


@pytest.mark.sim_pass
@pytest.mark.parametrize("mode", modes())
def test_a_course_solved_as_taught_gets_every_point(tmp_path_factory, mode):
    if mode == "user-bwrap" and os.getuid() == 0 and shutil.which("unshare") is None:
        pytest.skip("no unshare(1) to grade as an ordinary user")
    lessons = HOST_SIDE if mode == "root-container" else sorted(LESSONS)
    base = tmp_path_factory.mktemp(f"course-{mode}")
    course(base, "ada", lessons)
    out, jobs = base / "out", base / "jobs"
    jobs.mkdir()
    if mode.startswith("root-"):
        with jobs_under(jobs):
            results = grade([str(base / "submitted")], str(out), jobs=2, say=lambda s: None,
                            sandbox_name=mode.split("-")[1])
    else:  # as root: a user namespace in which this uid is 1000 and holds no capability outside it
        prefix = ["unshare", "--user", "--map-user=1000", "--map-group=1000"] if os.getuid() == 0 else []
        proc = subprocess.run([*prefix, sys.executable, "-m", "labkit", "grade", str(base / "submitted"), "--out",
                               str(out), "--jobs", "2"], capture_output=True, text=True, cwd=str(ROOT),
                              env=dict(os.environ, TMPDIR=str(jobs)))
        assert proc.returncode == 0, proc.stderr
        results = json.loads((out / "results.json").read_text())["submissions"]
    got = {e["id"]: (e["points"], e["max"], e["message"]) for r in results for e in r["exercises"]}
    want = {e.id: e.points for lesson in lessons for e in for_lesson(lesson)}
    assert set(got) == set(want)
    assert {k: v[0] for k, v in got.items()} == want, {k: v for k, v in got.items() if v[0] != v[1]}
    assert all(not r.get("error") and r["learner"] == "ada" for r in results), results
    assert leftovers(str(jobs)) == []
