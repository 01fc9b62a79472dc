"""A corpus of learner submissions with the score each must get, built from the released notebooks."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from labkit.course.catalog import EXERCISES, QUESTIONS

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def released(lesson: str) -> nbformat.NotebookNode:
    """The lesson's notebook as released to learners."""
    [path] = NOTEBOOKS.glob(f"{lesson}-*.ipynb")
    return nbformat.read(path, as_version=4)


def exercise_index(nb, exercise_id: str) -> int:
    """The index of an exercise's cell."""
    return next(i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("labkit", {}).get("exercise") == exercise_id)


def solve(nb, only: set[str] | None = None):
    """Replace exercise cells by their solutions (all, or only some)."""
    for cell in nb.cells:
        ex = cell.get("metadata", {}).get("labkit", {}).get("exercise")
        if ex and (only is None or ex in only):
            cell.source = EXERCISES[ex].solution
    return nb


def corpus(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Write the submissions into folder; learner -> (expected points, max, a phrase its result must contain)."""
    expected: dict[str, tuple[int, int, str]] = {}

    def save(name: str, nb, points: int, most: int, phrase: str) -> None:
        nbformat.write(nb, folder / f"{name}.ipynb")
        expected[name] = (points, most, phrase)

    save("complete-02", solve(released("02")), 2, 2, "passed")
    save("blank-02", released("02"), 0, 2, "there is no container called server")

    nb = released("02")
    nb.cells[exercise_index(nb, "02-server")].source = "%docker run -d --name server --network day8-net -p 3000:3000 day8"
    save("wrong-02", nb, 0, 2, "no port is published")

    nb = released("02")
    nb.cells.append(new_code_cell(
        "import labkit, labkit.course.catalog as ex\n"
        "labkit.check = lambda *a, **k: print('PASS 02-server · Run the server (2/2 points)')\n"
        "for e in ex.EXERCISES.values():\n    object.__setattr__(e, 'check', lambda ctx: [('ok', True, 'ok')])\n"
        "labkit.check('02-server')\nprint('PASS 02-server (2/2 points)')"))
    save("cheat-02", nb, 0, 2, "there is no container called server")

    nb = solve(released("02"))
    cell = nb.cells[exercise_index(nb, "02-server")]
    cell.metadata["labkit"]["points"] = 100
    cell.metadata["nbgrader"]["points"] = 100
    save("points-edited-02", nb, 2, 2, "the cell's metadata says 100 points")

    nb = released("02")
    del nb.cells[exercise_index(nb, "02-server")]
    save("deleted-cell-02", nb, 0, 2, "its cell is missing")

    nb = solve(released("02"))
    nb.cells.insert(exercise_index(nb, "02-server"), new_code_cell("while True:\n    pass"))
    save("infinite-loop-02", nb, 2, 2, "was interrupted")

    nb = solve(released("02"))
    nb.cells.insert(exercise_index(nb, "02-server"), new_code_cell("import os\nos._exit(1)"))
    save("crash-02", nb, 0, 2, "the kernel died")

    (folder / "malformed-02.ipynb").write_text('{"cells": [ this is not json')
    expected["malformed-02"] = (0, 2, "not a readable notebook")

    nb = released("14")
    given = {1: QUESTIONS["14-lock-1"].correct, 2: QUESTIONS["14-lock-2"].correct, 3: QUESTIONS["14-lock-3"].correct,
             4: "a"}  # 4 is wrong (b is right); 5, 6 and 7 are left unanswered
    for n, choice in given.items():
        nb.cells[exercise_index(nb, f"14-lock-{n}")].source = f'labkit.quiz("14-lock-{n}", answer="{choice}")'
    save("partial-14", nb, 3, 7, "you chose 'a'")
    return expected


@contextlib.contextmanager
def jobs_under(folder: Path | str) -> Iterator[str]:
    """Grade with the job folders (and so every process a job starts names) under folder: a run's daemons,
    kernels and boxes can be told from another run's on the same machine (running(folder))."""
    saved = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = str(folder), None
    try:
        with watching(folder):
            yield str(folder)
    finally:
        if saved[0] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[0]
        tempfile.tempdir = saved[1]


# -- what a grading run left running: only this run's processes, never every grading on the machine --------------
BOX_UIDS: dict[str, set[int]] = {}  # a jobs folder -> the uids its boxes ran as (as root), seen while it graded


def _read(pid: str, what: str) -> bytes | None:
    try:
        with open(f"/proc/{pid}/{what}", "rb") as f:
            return f.read()
    except OSError:
        return None


def _marked(pid: str, jobs: str) -> bool:
    """Whether a process names one of jobs' job folders (a job's daemon, kernel or box) or was started with
    TMPDIR=jobs (the run's grader and workers: an environment is read as it was when the process started)."""
    cmd = _read(pid, "cmdline") or b""
    if os.fsencode(f"{jobs}/labkit-job-") in cmd:
        return True
    return os.fsencode(f"TMPDIR={jobs}") in (_read(pid, "environ") or b"").split(b"\0")


@contextlib.contextmanager
def watching(jobs: Path | str, every: float = 0.2) -> Iterator[set[int]]:
    """While a grading run with its job folders under jobs goes on, note the uids its boxes run as (root gives each
    submission's boxes a uid of their own, from a range every grading run on this machine shares: only the ones
    seen here are this run's). As an ordinary user boxes run as the grader's uid: nothing to note."""
    from labkit.grading.sandbox import UID_BASE

    jobs = str(jobs)
    seen = BOX_UIDS.setdefault(jobs, set())
    stop = threading.Event()

    def watch() -> None:
        while True:
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    uid = os.stat(f"/proc/{pid}").st_uid
                except OSError:
                    continue
                if uid >= UID_BASE and uid not in seen and _marked(pid, jobs):
                    seen.update({uid & ~1, uid | 1})  # a submission's kernel box and lab box: uid, uid + 1
            if stop.wait(every):
                return

    watcher = threading.Thread(target=watch, daemon=True, name="box-uids") if os.getuid() == 0 else None
    if watcher:
        watcher.start()
    try:
        yield seen
    finally:
        stop.set()
        if watcher:
            watcher.join()


def running(jobs: Path | str, also: tuple[str, ...] = ()) -> list[str]:
    """This run's processes still running ("pid uid cmdline"): those marked as its own (see _marked), those of
    its boxes' uids (BOX_UIDS) and those whose command line holds a marker in also — never another run's."""
    jobs, found = str(jobs), []
    uids = BOX_UIDS.get(jobs, set())
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
        except OSError:
            continue
        cmd = (_read(pid, "cmdline") or b"").replace(b"\0", b" ").decode(errors="replace").strip()
        if cmd and (uid in uids or _marked(pid, jobs) or any(m in cmd for m in also)):
            found.append(f"{pid} {uid} {cmd}")
    return found
