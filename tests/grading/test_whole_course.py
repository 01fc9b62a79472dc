"""A whole course, solved as the lessons teach, graded as an instructor grades it: every exercise of every lesson
gets its points, as root and as an ordinary user on bubblewrap, and (for the lessons whose checks reach the
lab's host side or keep state outside the lab) in containers — the grade says what `labkit.check` says."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from labkit.course.catalog import LESSONS, for_lesson
from tests.grading.corpus import NOTEBOOKS, released, solve
from tests.grading.modes import grade_in, modes
from tests.grading.test_adversarial import leftovers

HOST_SIDE = ("05", "11", "15")  # an address looked up, a published port from the host, a drawn fault


def course(folder: Path, learner: str, lessons) -> None:
    """The learner's solved notebooks in nbgrader's layout: submitted/<learner>/<released name>/<released name>."""
    for lesson in lessons:
        [path] = NOTEBOOKS.glob(f"{lesson}-*.ipynb")
        where = folder / "submitted" / learner / path.stem
        where.mkdir(parents=True)
        nbformat.write(solve(released(lesson)), where / path.name)


@pytest.mark.sim_pass
@pytest.mark.parametrize("mode", modes())
def test_a_course_solved_as_taught_gets_every_point(tmp_path_factory, mode):
    lessons = HOST_SIDE if mode == "root-container" else sorted(LESSONS)
    base = tmp_path_factory.mktemp(f"course-{mode}")
    course(base, "ada", lessons)
    out, jobs = base / "out", base / "jobs"
    jobs.mkdir()
    results = grade_in(mode, [str(base / "submitted")], out, jobs)
    got = {e["id"]: (e["points"], e["max"], e["message"]) for r in results for e in r["exercises"]}
    want = {e.id: e.points for lesson in lessons for e in for_lesson(lesson)}
    assert set(got) == set(want)
    assert {k: v[0] for k, v in got.items()} == want, {k: v for k, v in got.items() if v[0] != v[1]}
    assert all(not r.get("error") and r["learner"] == "ada" for r in results), results
    assert leftovers(str(jobs)) == []
