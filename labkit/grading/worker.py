"""Grade one submission, in its own process: a fresh kernel, a fresh isolated lab, then grader-side checks.

`python -m labkit.grading.worker SPEC.json` reads the job, writes the result as JSON to the path the
spec names and exits 0. The learner's kernel and the checks never share a process: on the embedded
engine both talk to a private `labkit sim` daemon of this submission's own (its own socket, its own
loopback host address, stopped afterwards); on Docker, to the daemon.
Everything the checks need is imported before the notebook runs, so a notebook cannot swap it.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from labkit import ownership, session
from labkit.course import (
    answers,  # noqa: F401 - imported before any notebook runs
    checks,
)
from labkit.course.exercises import Context, Exercise, for_lesson
from labkit.engines.embedded import EmbeddedEngine
from labkit.engines.sim import daemon
from labkit.errors import CommandError
from labkit.grading import hidden
from labkit.grading.submission import Submission, load
from labkit.session import Session

SERVER_START = 15.0


def execute(nb: nbformat.NotebookNode, workdir: Path, cell_timeout: float, timeout: float,
            env: dict[str, str] | None = None) -> list[str]:
    """Run every code cell top to bottom; errors and timed-out cells do not stop the rest. Notes on what went wrong."""
    notes: list[str] = []
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, resources={"metadata": {"path": str(workdir)}})
    deadline = time.monotonic() + timeout
    errors = 0
    with client.setup_kernel(env={**os.environ, **(env or {})}):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                notes.append(f"the notebook did not finish within {timeout:g} s; cells from {index} on did not run")
                break
            client.timeout = max(1, math.ceil(min(cell_timeout, left)))
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                notes.append(f"cell {index} ran longer than {client.timeout:g} s and was interrupted")
                continue
            except DeadKernelError:
                notes.append(f"the kernel died in cell {index}; the lab was graded as that cell left it")
                break
            if any(o.get("output_type") == "error" and o.get("ename") != "KeyboardInterrupt" for o in cell.outputs):
                errors += 1
            if any(o.get("output_type") == "error" and o.get("ename") == "KeyboardInterrupt" for o in cell.outputs):
                notes.append(f"cell {index} ran longer than {client.timeout:g} s and was interrupted")
    if errors:
        notes.append(f"{errors} cell(s) raised an error; the cells after them still ran")
    return notes


def score(exercises: list[Exercise], ctx: Context) -> list[dict]:
    """Each exercise's verdict from the grader's own checks: points, max, passed, message, hint."""
    out = []
    for ex in exercises:
        result = checks.evaluate_exercise(ex, ctx)
        out.append({"id": ex.id, "title": ex.title, "points": result.points, "max": ex.points,
                    "passed": result.passed, "message": result.message, "hidden": ex.kind == "hidden",
                    "hint": "" if result.passed or not ex.hints else ex.hints[0],
                    "parts": [{"check": w, "passed": ok, "found": f} for w, ok, f in result.parts]})
    return out


def ungraded(exercises: list[Exercise], why: str) -> list[dict]:
    """Every exercise at zero, with the reason the submission could not be graded."""
    return [{"id": e.id, "title": e.title, "points": 0, "max": e.points, "passed": False,
             "message": f"not graded: {why}", "hidden": e.kind == "hidden", "hint": "", "parts": []}
            for e in exercises]


def grade(spec: dict) -> dict:
    """Grade one submission as described by spec (path, learner, engine, timeouts, hidden, assets)."""
    sub: Submission = load(Path(spec["path"]), spec["learner"])
    extra = [h for h in hidden.load(spec.get("hidden") or []) if h.lesson == sub.lesson]
    exercises = (for_lesson(sub.lesson) if sub.lesson else []) + extra
    result = {"learner": sub.learner, "path": str(sub.path), "lesson": sub.lesson, "error": sub.error,
              "notes": list(sub.notes), "exercises": []}
    if sub.notebook is None or sub.error:
        result["exercises"] = ungraded(exercises, sub.error)
        return result
    workdir = Path(tempfile.mkdtemp(prefix="labkit-grade-"))
    server = None
    try:
        shutil.copytree(spec["assets"], workdir / "assets")
        answers_file = workdir / ".labkit-answers.json"
        me = Session(id=f"grade-{os.getpid()}-{os.urandom(4).hex()}", engine_name=spec["engine"])
        kernel_env = {"LABKIT_ANSWERS": str(answers_file), "LABKIT_SESSION": me.id, "LABKIT_ENGINE": spec["engine"],
                      "MPLBACKEND": "Agg", "LABKIT_SIM_SOCKET": ""}
        if spec["engine"] == "sim":
            sock = str(workdir / "engine.sock")
            daemon.start(sock, private_host=True, idle=spec["timeout"] + 60)  # ready before the kernel starts
            server = sock
            kernel_env["LABKIT_SIM_SOCKET"] = sock
            engine = EmbeddedEngine(sock, restart=False)
        else:
            from labkit.engines.docker.engine import DockerEngine

            engine = DockerEngine()
        me.use_engine(engine=engine, reason=f"{engine.name} (the grader's)")
        session.activate(me)  # the checks below read this submission's lab, labelled with its session
        result["notes"] += execute(sub.notebook, workdir, spec["cell_timeout"], spec["timeout"], kernel_env)
        ctx = Context(engine, answers.load(str(answers_file)), workdir)
        result["exercises"] = score(exercises, ctx)
        if spec["engine"] == "docker":
            ownership.clean(engine, me.id, say=lambda _l: None)
    finally:
        if server is not None:
            daemon.stop(server)
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    """Read the spec file, grade, write the result file."""
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(argv[0]).read_text())
    try:
        result = grade(spec)
    except CommandError as err:
        result = {"learner": spec["learner"], "path": spec["path"], "lesson": None, "notes": [],
                  "error": err.stderr.strip(), "exercises": []}
    Path(spec["result"]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
