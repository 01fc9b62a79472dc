"""Grade one submission, in its own process: a fresh kernel and a fresh lab, each in its box, then the checks.

`python -m labkit.grading.worker` reads the job as JSON on stdin and writes the result as JSON on stdout —
a pipe the grader holds, which nothing the submission runs can see (its boxes have their own PID namespace
and none of the worker's file descriptors). The worker dies with the grader (PR_SET_PDEATHSIG), and its
boxes die with it (`--die-with-parent`).

The learner's kernel and the checks never share a process or a box: the kernel runs in the kernel box,
the private `labkit sim` daemon and its containers in the lab box, the checks here, reading the lab
through the daemon's API, the learner's answers and folder after the kernel box is gone (links and
special files in that folder are removed first, so a check never follows one out of it).
Everything the checks need is imported before anything of the submission runs.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from labkit import ownership, session
from labkit.course import (
    answers,
    checks,
)
from labkit.course.exercises import Exercise, for_lesson
from labkit.errors import CommandError
from labkit.grading import cleanup, hidden, kernel, lab, sandbox
from labkit.grading.submission import Submission, load
from labkit.session import Session


def score(exercises: list[Exercise], ctx) -> list[dict]:
    """Each exercise's verdict from the grader's own checks: points, max, passed, message, hint."""
    out = []
    for ex in exercises:
        try:
            result = checks.evaluate_exercise(ex, ctx)
            secret = ex.kind == "hidden"  # a hidden check says what it checks, never what it found
            parts = [{"check": w, "passed": ok, "found": "" if secret else f} for w, ok, f in result.parts]
            points, passed, message = result.points, result.passed, result.message
            if secret and not passed:
                message = "not yet: " + next(w for w, ok, _ in result.parts if not ok) if result.parts else "not yet"
        except Exception as err:  # noqa: BLE001 - a check that crashes is a 0 with its kind, never a traceback
            parts, points, passed = [], 0, False
            message = f"the check could not run ({type(err).__name__})"
        out.append({"id": ex.id, "title": ex.title, "points": points, "max": ex.points,
                    "passed": passed, "message": message, "hidden": ex.kind == "hidden",
                    "hint": "" if passed or not ex.hints else ex.hints[0], "parts": parts})
    return out


def ungraded(exercises: list[Exercise], why: str) -> list[dict]:
    """Every exercise at zero, with the reason the submission could not be graded."""
    return [{"id": e.id, "title": e.title, "points": 0, "max": e.points, "passed": False,
             "message": f"not graded: {why}", "hidden": e.kind == "hidden", "hint": "", "parts": []}
            for e in exercises]


def exercises_for(lesson: str | None, hidden_files: list[str]) -> list[Exercise]:
    """The released exercises of the lesson, then the instructor's hidden checks for it."""
    if not lesson:
        return []
    return for_lesson(lesson) + [h for h in hidden.load(hidden_files) if h.lesson == lesson]


def scrub(folder: Path) -> None:
    """Make the learner's folder plain (the kernel box is gone by now): every folder open to the grader again, every
    link, socket, pipe or device removed, however deep (labkit.grading.cleanup)."""
    cleanup.scrub(folder)


def grade(spec: dict) -> dict:
    """Grade one submission as described by spec (path, learner, lesson, engine, sandbox, timeouts, hidden, assets)."""
    sub: Submission = load(Path(spec["path"]), spec["learner"], spec.get("lesson"))
    exercises = exercises_for(sub.lesson, spec.get("hidden") or [])
    result = {"learner": sub.learner, "path": str(sub.path), "lesson": sub.lesson, "error": sub.error,
              "notes": list(sub.notes), "exercises": []}
    if sub.notebook is None or sub.error:
        result["exercises"] = ungraded(exercises, sub.error)
        return result
    boxed = spec.get("sandbox", "bwrap") in sandbox.KINDS
    make_plan = sandbox.KINDS.get(spec.get("sandbox", "bwrap"))
    limits = sandbox.Limits(**spec.get("limits", {}))
    uid = sandbox.new_uid() if boxed else None
    job = Path(tempfile.mkdtemp(prefix="labkit-job-"))
    os.chmod(job, 0o711)
    workdir, kdir = job / "lab", job / "kernel"
    the_lab = None
    try:
        cleanup.bound(job, limits.disk, spec.get("sandbox", "bwrap"))  # its disk: a tmpfs of its own
        shutil.copytree(spec["assets"], workdir / "assets")
        kdir.mkdir(mode=0o700)
        me = Session(id=f"grade-{os.getpid()}-{os.urandom(4).hex()}", engine_name=spec["engine"])
        inside = sandbox.WORK if boxed else str(workdir)
        kernel_env = {"LABKIT_ANSWERS": f"{inside}/.labkit-answers.json", "LABKIT_SESSION": me.id,
                      "LABKIT_LEARNER": sub.learner,  # whose lab it is (lesson 15's fault); the checks: ctx.learner
                      "LABKIT_ENGINE": spec["engine"], "MPLBACKEND": "Agg", "LABKIT_SIM_SOCKET": ""}
        if spec["engine"] == "sim":
            the_lab = lab.start(job / "engine", spec["timeout"] + 120, uid + 1 if boxed else None, limits,
                                make_plan)
            engine = the_lab.engine
            kernel_env["LABKIT_SIM_SOCKET"] = sandbox.ENGINE_SOCK if boxed else the_lab.socket
        else:
            from labkit.engines.docker.engine import DockerEngine

            engine = DockerEngine()
        me.use_engine(engine=engine, reason=f"{engine.name} (the grader's)")
        session.activate(me)  # the checks below read this submission's lab, labelled with its session
        plan = None
        if boxed:
            sandbox.give(workdir, uid)
            plan = make_plan(uid, limits)
            plan.bind(str(workdir), sandbox.WORK, writable=True)
            plan.bind(str(kdir), str(kdir), writable=True)
            plan.bind(the_lab.socket, sandbox.ENGINE_SOCK)
        result["notes"] += kernel.execute(sub.notebook, workdir, spec["cell_timeout"], spec["timeout"], kernel_env,
                                          plan=plan, kernel_dir=kdir, output_limit=limits.output, inside_workdir=inside)
        scrub(workdir)
        ctx = lab.LabContext(engine, answers.load(str(workdir / ".labkit-answers.json")), workdir)
        ctx.box, ctx.learner = (the_lab.box if the_lab is not None else None), sub.learner
        result["exercises"] = score(exercises, ctx)
        if spec["engine"] == "docker":
            ownership.clean(engine, me.id, say=lambda _l: None)
    except CommandError as err:
        result["error"] = err.stderr.strip().removeprefix("labkit: ")
        result["exercises"] = ungraded(exercises, result["error"])
    except Exception as err:  # noqa: BLE001 - the kernel or the lab could not be run: not graded, and why
        result["error"] = f"the grader could not run this notebook ({type(err).__name__}: {str(err)[:200]})"
        result["exercises"] = ungraded(exercises, result["error"])
    finally:
        if the_lab is not None:
            the_lab.stop()
        if uid is not None:
            sandbox.sweep(uid)
        cleanup.remove(job)  # whole, whatever its depth and modes; never raises
    return result


def main() -> int:
    """Read the job on stdin, grade, write the result on the stdout pipe."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing else this process or its children print can reach the result pipe
    spec = json.loads(sys.stdin.read())
    sandbox.die_with_parent(int(spec.get("grader_pid", os.getppid())))
    result = grade(spec)
    out.write(json.dumps(result))
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
