"""One hand-in per learner and assignment: stray and copied notebooks are listed, never graded as learners."""

from __future__ import annotations

import csv
import json

import nbformat
import pytest

from labkit.grading import handin
from labkit.grading.report import feedback_name
from labkit.grading.run import discover, grade
from tests.grading.corpus import jobs_under, released, solve

RELEASED_02 = "02-server-container.ipynb"


def hand_in(folder, *names, nb=None):
    """Write the released lesson 02 notebook (or nb) under each name in folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb or released("02"), folder / name)


def test_released_names_come_from_the_course():
    assert handin.released_name("05") == "05-container-to-container.ipynb"
    assert handin.released_name("02") == RELEASED_02
    assert handin.released_name(None) is None and handin.released_name("99") is None


@pytest.mark.parametrize("names, graded, says", [
    ([RELEASED_02, "Untitled.ipynb", "02-server-container-Copy1.ipynb"], RELEASED_02, None),
    (["02-server-container-Copy1.ipynb", RELEASED_02], RELEASED_02, None),  # the copy sorts first: never chosen
    (["mine.ipynb"], "mine.ipynb", "the only notebook"),
    (["Untitled.ipynb", ".ipynb_checkpoints/Untitled-checkpoint.ipynb"], "Untitled.ipynb", "the only notebook"),
    (["mine.ipynb", "Untitled1.ipynb", "mine-Copy2.ipynb"], "mine.ipynb", "every other one is untitled or a copy"),
    (["a.ipynb", "b.ipynb"], None, "none of its notebooks was graded"),
    (["Untitled.ipynb", "Untitled1.ipynb"], None, "none of its notebooks was graded"),
])
def test_one_notebook_per_folder_is_chosen_and_the_rest_listed(names, graded, says):
    pick = handin.choose(sorted(names), RELEASED_02)
    assert pick.graded == graded
    assert sorted(pick.extras) == sorted(n for n in names if n != graded)
    if says is None:
        assert pick.note is None
    else:
        assert says in pick.note and RELEASED_02 in pick.note


def test_stray_notebooks_are_never_learners_of_their_own(tmp_path):
    subs = tmp_path / "submitted"
    hand_in(subs / "alice" / "02-server-container", "02-server-container-Copy1.ipynb", RELEASED_02, "Untitled.ipynb",
            ".ipynb_checkpoints/02-server-container-checkpoint.ipynb")
    hand_in(subs / "bob" / "02-x", "mine.ipynb")
    hand_in(subs / "carol" / "02-x", "a.ipynb", "b.ipynb")
    items = {i.learner: i for i in discover([str(subs)])}
    assert sorted(items) == ["alice", "bob", "carol"]  # no alice-2, alice-3
    alice, bob, carol = items["alice"], items["bob"], items["carol"]
    assert alice.path.name == RELEASED_02 and not alice.unchosen and alice.note is None
    assert set(alice.extras) == {"02-server-container-Copy1.ipynb", "Untitled.ipynb",
                                 ".ipynb_checkpoints/02-server-container-checkpoint.ipynb"}
    assert bob.path.name == "mine.ipynb" and "the only notebook" in bob.note and bob.extras == ()
    assert carol.unchosen and "a.ipynb, b.ipynb" in carol.note
    # the instructor picks carol's by naming it beside the folder: hers is then b.ipynb, a.ipynb is listed
    items = {i.learner: i for i in discover([str(subs), str(subs / "carol" / "02-x" / "b.ipynb")])}
    assert sorted(items) == ["alice", "bob", "carol"]
    assert items["carol"].path.name == "b.ipynb" and items["carol"].extras == ("a.ipynb",)
    assert "named on the command line" in items["carol"].note


def test_loose_files_keep_one_learner_per_file(tmp_path):
    hand_in(tmp_path, "alice-02.ipynb", "Untitled.ipynb")
    (tmp_path / "timestamp.txt").write_text("2025-03-01 09:30:00 UTC")  # not nbgrader's layout: not its time
    items = discover([str(tmp_path)], lesson="02")
    assert sorted(i.learner for i in items) == ["Untitled", "alice-02"]
    assert all(i.timestamp and not i.timestamp.startswith("2025-03-01") for i in items)  # the file's own time


def test_the_time_handed_in_is_nbgraders_else_the_files(tmp_path):
    folder = tmp_path / "submitted" / "alice" / "02-x"
    hand_in(folder, RELEASED_02)
    (folder / "timestamp.txt").write_text("2025-03-01 09:30:00.123456 UTC\n")
    [item] = discover([str(tmp_path / "submitted")])
    assert item.timestamp == "2025-03-01 09:30:00.123456"
    (folder / "timestamp.txt").write_text("=HYPERLINK(\"x\")")  # not a time: the file's own time instead
    [item] = discover([str(tmp_path / "submitted")])
    assert item.timestamp and item.timestamp[:2] == "20" and "=" not in item.timestamp
    assert handin.parse_timestamp("2025-03-01T10:30:00+01:00").isoformat() == "2025-03-01T10:30:00+01:00"


@pytest.mark.sim_pass
def test_a_class_with_strays_is_graded_once_per_learner(tmp_path):
    subs = tmp_path / "submitted"
    hand_in(subs / "alice" / "02-server-container", "Untitled.ipynb", "02-server-container-Copy1.ipynb")
    hand_in(subs / "alice" / "02-server-container", RELEASED_02, nb=solve(released("02")))
    hand_in(subs / "bob" / "02-x", "a.ipynb", "b.ipynb", nb=solve(released("02")))
    (subs / "alice" / "02-server-container" / "timestamp.txt").write_text("2025-03-01 09:30:00.5 UTC")
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    said: list[str] = []
    with jobs_under(jobs):
        results = {r["learner"]: r for r in grade([str(subs)], str(tmp_path / "out"), jobs=2, timeout=120,
                                                  cell_timeout=10, say=said.append)}
    assert sorted(results) == ["alice", "bob"]
    alice, bob = results["alice"], results["bob"]
    assert alice["error"] is None and sum(e["points"] for e in alice["exercises"]) == 2
    assert alice["extra_files"] == ["02-server-container-Copy1.ipynb", "Untitled.ipynb"]
    assert "not graded: 02-server-container-Copy1.ipynb, Untitled.ipynb" in " ".join(alice["notes"])
    assert "none of its notebooks was graded" in bob["error"] and sum(e["max"] for e in bob["exercises"]) == 2
    assert any("1 assignment folder(s) hold notebooks besides the one graded" in s for s in said)
    out = tmp_path / "out"
    data = {s["learner"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}
    assert data["alice"]["extra_files"] and data["bob"]["graded"] is False
    assert "Untitled.ipynb" in (out / "feedback" / f"{feedback_name(alice)}.md").read_text()
    rows = list(csv.DictReader((out / "gradebook-long.csv").open(newline="")))
    assert [(r["assignment"], r["student_id"], r["raw_score"], r["score"], r["max_score"], r["timestamp"])
            for r in rows] == [("02-server-container", "alice", "2.0", "2.0", "2.0", "2025-03-01 09:30:00.500000"),
                               ("02-x", "bob", "", "", "2.0", "")]
