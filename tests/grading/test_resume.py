"""Grading resumes: an interrupted run keeps what it graded, and the same command then grades only the rest;
results are kept per submission, keyed by its content, its lesson and the run's settings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from labkit.grading import run
from labkit.grading.outdir import OutDir
from labkit.grading.run import Item, grade
from labkit.grading.store import ResultStore, settings_digest
from tests.conftest import ctrl_c_reaches_it
from tests.grading.corpus import released, running, solve, watching

EXPECTED = {"a-02": 2, "b-02": 0, "c-02": 2, "d-02": 0, "e-02": 2, "f-02": 0}


def class_folder(root: Path) -> Path:
    subs = root / "subs"
    subs.mkdir()
    for name, points in EXPECTED.items():
        nbformat.write(solve(released("02")) if points else released("02"), subs / f"{name}.ipynb")
    return subs


def gone(jobs: Path, within: float = 30.0) -> list[str]:
    """What the run whose job folders were under jobs still runs, once its processes had within seconds to go (a
    killed worker's boxes end with it, a moment later); only that run's, never another grading on this machine."""
    deadline = time.monotonic() + within
    while (left := running(jobs)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.mark.sim_pass
def test_an_interrupted_run_is_finished_by_running_it_again(tmp_path, monkeypatch):
    subs, out, jobs = class_folder(tmp_path), tmp_path / "out", tmp_path / "jobs"
    jobs.mkdir()
    cmd = [sys.executable, "-m", "labkit", "grade", str(subs), "--out", str(out), "--timeout", "120"]
    with watching(jobs) as box_uids:  # its job folders (so its workers, daemons, kernels and boxes) are under jobs
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, TMPDIR=str(jobs)), preexec_fn=ctrl_c_reaches_it)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and len(list((out / "graded").glob("*.json"))) < 2:
            time.sleep(0.05)
        mid_run = [line.split()[0] for line in running(jobs)]
        proc.send_signal(signal.SIGINT)  # Ctrl-C half way
        _, err = proc.communicate(timeout=60)
    assert str(proc.pid) in mid_run  # this run's processes are told apart from any other grading (its TMPDIR)
    kept = len(list((out / "graded").glob("*.json")))
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == (f"labkit grade: interrupted; {kept} of 6 submission(s) graded and kept in "
                                            f"{out}; run the same command again to grade the rest")
    assert 2 <= kept < 6 and not (out / "results.json").exists()
    assert os.getuid() != 0 or box_uids  # as root, the uids of its boxes were seen too
    assert gone(jobs) == []  # no worker, daemon, kernel or box of this run is left

    graded: list[str] = []
    real = run.grade_one
    monkeypatch.setattr(run, "grade_one", lambda item, *a: graded.append(item.learner) or real(item, *a))
    said: list[str] = []
    results = grade([str(subs)], str(out), timeout=120, say=said.append)
    assert len(graded) == 6 - kept  # only the rest
    assert said[1] == (f"labkit grade: {kept} of 6 submission(s) were graded already in {out} (same file, same "
                       f"settings, same labkit); grading the other {6 - kept}")
    assert {r["learner"]: sum(e["points"] for e in r["exercises"]) for r in results} == EXPECTED
    data = json.loads((out / "results.json").read_text())
    assert {s["learner"]: s["points"] for s in data["submissions"]} == EXPECTED  # the reports are complete
    assert len((out / "summary.csv").read_text().splitlines()) == 7

    graded.clear()  # the same command once more grades nothing
    assert grade([str(subs)], str(out), timeout=120, say=lambda s: None) == results and graded == []


def test_a_result_is_kept_for_that_file_those_settings_and_this_labkit_only(tmp_path):
    subs = class_folder(tmp_path)
    spec = {"engine": "sim", "sandbox": "bwrap", "timeout": 120, "cell_timeout": 60, "limits": {},
            "assets": str(run.ASSETS)}
    hidden = tmp_path / "hidden.py"
    hidden.write_text("# checks\n")
    folder = OutDir(tmp_path / "out")
    store = ResultStore(folder, settings_digest(spec, [str(hidden)]))
    item = Item(subs / "a-02.ipynb", "a-02", "02")
    store.put(item, {"learner": "a-02", "lesson": "02", "exercises": [], "path": "elsewhere"})
    assert store.get(item) == {"learner": "a-02", "lesson": "02", "exercises": [], "path": str(item.path)}
    assert store.get(Item(item.path, "a-02", "03")) is None  # another lesson (the instructor's --lesson)
    assert store.get(Item(item.path, "z-02", "02")) is None  # another learner, the same bytes
    assert ResultStore(folder, settings_digest(dict(spec, timeout=60), [str(hidden)])).get(item) is None
    hidden.write_text("# checks, changed\n")
    assert ResultStore(folder, settings_digest(spec, [str(hidden)])).get(item) is None
    nbformat.write(released("02"), item.path)  # the learner handed in again
    assert store.get(item) is None
