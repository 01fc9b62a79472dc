"""`labkit grade --scheduler`: a real Dask scheduler and two workers on loopback (this environment's `dask`),
grading a class in nbgrader's layout. The results are the same as local grading's, and a worker killed while
it grades loses nothing: its submission is graded on the other worker, every submission exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from labkit.grading.run import grade
from tests.grading.corpus import released, solve

pytest.importorskip("distributed")
DASK = str(Path(sys.executable).with_name("dask"))
CLASS = {("alice", "02-server-container"): (solve(released("02")), 2), ("bob", "02-server-container"): (released("02"), 0),
         ("carol", "11-ports"): (solve(released("11")), 2), ("dan", "09-fix"): (solve(released("09")), 3)}


def layout(root: Path) -> Path:
    """The class in nbgrader's layout: submitted/<learner>/<assignment>/<notebook>.ipynb."""
    for (learner, assignment), (nb, _) in CLASS.items():
        folder = root / "submitted" / learner / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")
    return root / "submitted"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler on loopback and two single-threaded workers (no nanny: a killed worker stays dead)."""
    base = tmp_path_factory.mktemp("dask")
    scheduler_file = base / "scheduler.json"
    logs = open(base / "dask.log", "w")
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(scheduler_file)], stdout=logs, stderr=logs, cwd=base)]
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    address = json.loads(scheduler_file.read_text())["address"]
    workers = {}
    for name in ("w1", "w2"):
        workers[name] = subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                          "--name", name], stdout=logs, stderr=logs, cwd=base)
        procs.append(workers[name])
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(2, timeout=60)
    yield address, workers
    for p in procs:
        p.kill()
        p.wait(10)
    logs.close()


def results(out: Path) -> list[dict]:
    return json.loads((out / "results.json").read_text())["submissions"]


@pytest.mark.sim_pass
def test_the_cluster_grades_as_this_machine_does_and_survives_a_lost_worker(cluster, tmp_path):
    address, workers = cluster
    subs = layout(tmp_path)
    here = grade([str(subs)], str(tmp_path / "here"), jobs=2, timeout=120, cell_timeout=10, say=lambda s: None)
    assert {(r["learner"], r["assignment"]): sum(e["points"] for e in r["exercises"]) for r in here} == \
        {k: v[1] for k, v in CLASS.items()}
    said: list[str] = []
    grade([str(subs)], str(tmp_path / "there"), timeout=120, cell_timeout=10, say=said.append, scheduler=address)
    assert results(tmp_path / "there") == results(tmp_path / "here")
    assert any(f"to the Dask scheduler at {address}" in s for s in said)

    # w1 is killed while it grades: its task goes to w2, and every submission is graded once
    from distributed import Client

    killed = threading.Event()

    def kill_w1_when_busy() -> None:
        with Client(address, timeout=30) as client:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                busy = {client.scheduler_info()["workers"][w]["name"]: keys
                        for w, keys in client.processing().items() if keys}
                if busy.get("w1"):
                    time.sleep(1.0)  # mid-task: its kernel and lab are up
                    os.kill(workers["w1"].pid, signal.SIGKILL)
                    killed.set()
                    return
                time.sleep(0.05)

    watcher = threading.Thread(target=kill_w1_when_busy)
    watcher.start()
    grade([str(subs)], str(tmp_path / "lost"), timeout=120, cell_timeout=10, say=lambda s: None, scheduler=address)
    watcher.join()
    assert killed.is_set() and workers["w1"].wait(10) == -signal.SIGKILL
    lost = results(tmp_path / "lost")
    assert sorted((r["learner"], r["assignment"]) for r in lost) == sorted(CLASS)  # each once
    assert lost == results(tmp_path / "here")  # none ungraded: the lost task was graded again on w2
    book = (tmp_path / "lost" / "gradebook.csv").read_text().splitlines()
    assert book[0] == "learner,lesson 02,lesson 09,lesson 11,total"
    assert book[1:] == ["alice,2,,,2", "bob,0,,,0", "carol,,,2,2", "dan,,3,,3"]
    assert (tmp_path / "lost" / "feedback" / "dan" / "09-fix" / "09-fix.html").is_file()


def test_no_scheduler_is_one_line(tmp_path):
    subs = layout(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "labkit", "grade", str(subs), "--out", str(tmp_path / "o"),
                           "--scheduler", "tcp://127.0.0.1:9", "--sandbox", "none", "--trust-submissions"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "no Dask scheduler answers at tcp://127.0.0.1:9" in proc.stderr and "dask scheduler" in proc.stderr
