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
from labkit.course.vocabulary import Exercise
from labkit.errors import CommandError
from labkit.grading import boxes, cleanup, engines, kernel, lab, sandbox
from labkit.grading.hidden import exercises_for
from labkit.grading.messages import ExerciseVerdict, GradeResult, Job
from labkit.grading.submission import Submission, load
from labkit.session import Session


def score(exercises: list[Exercise], ctx) -> tuple[ExerciseVerdict, ...]:
    """Each exercise's verdict from the grader's own checks: points, max, passed, message, hint."""
    out = []
    for ex in exercises:
        try:
            result = checks.evaluate_exercise(ex, ctx)
            out.append(ExerciseVerdict.judged(ex, result.passed, result.points, result.message, result.parts))
        except Exception as err:  # noqa: BLE001 - a check that crashes is a 0 with its kind, never a traceback
            out.append(ExerciseVerdict.crashed(ex, err))
    return tuple(out)


def scrub(folder: Path) -> None:
    """Make the learner's folder plain (the kernel box is gone by now): every folder open to the grader again, every
    link, socket, pipe or device removed, however deep (labkit.grading.cleanup)."""
    cleanup.scrub(folder)


def grade(job: Job, me: Session) -> GradeResult:
    """Grade one submission as the job describes, its lab labelled with session me (whose engine is set here)."""
    settings = job.settings
    sub: Submission = load(Path(job.path), job.learner, job.lesson)
    exercises = exercises_for(sub.lesson, settings.hidden)
    if sub.notebook is None or sub.error:
        return GradeResult.ungraded(sub.learner, job.shown_path, sub.lesson, job.assignment, exercises, sub.error,
                                    tuple(sub.notes))
    notes = list(sub.notes)
    make_plan = boxes.KINDS.get(settings.sandbox)
    boxed = make_plan is not None
    limits = sandbox.Limits(**settings.limits)
    uid = sandbox.new_uid() if boxed else None
    folder = Path(tempfile.mkdtemp(prefix="labkit-job-"))
    os.chmod(folder, 0o711)
    workdir, kdir = folder / "lab", folder / "kernel"
    the_lab = None
    try:
        cleanup.bound(folder, limits.disk, settings.sandbox)  # its disk: a tmpfs of its own
        shutil.copytree(settings.assets, workdir / "assets")
        kdir.mkdir(mode=0o700)
        inside = sandbox.WORK if boxed else str(workdir)
        kernel_env = {"LABKIT_ANSWERS": f"{inside}/.labkit-answers.json", "LABKIT_SESSION": me.id,
                      "LABKIT_LEARNER": sub.learner,  # whose lab it is (lesson 15's fault); the checks: ctx.learner
                      "LABKIT_ENGINE": settings.engine, "MPLBACKEND": "Agg", "LABKIT_SIM_SOCKET": ""}
        private = engines.private_daemon(settings.engine)
        if private:
            the_lab = lab.start(folder / "engine", settings.timeout + 120, uid + 1 if boxed else None, limits,
                                make_plan)
            engine = the_lab.engine
            kernel_env["LABKIT_SIM_SOCKET"] = sandbox.ENGINE_SOCK if boxed else the_lab.socket
        else:
            engine, _ = engines.kind(settings.engine).make()  # the one daemon of its kind (DOCKER_HOST's)
        me.use_engine(engine=engine, reason=f"{engine.name} (the grader's)")
        plan = None
        if boxed:
            sandbox.give(workdir, uid)
            plan = make_plan(uid, limits)
            plan.bind(str(workdir), sandbox.WORK, writable=True)
            plan.bind(str(kdir), str(kdir), writable=True)
            plan.bind(the_lab.socket, sandbox.ENGINE_SOCK)
        notes += kernel.execute(sub.notebook, workdir, settings.cell_timeout, settings.timeout, kernel_env,
                                plan=plan, kernel_dir=kdir, output_limit=limits.output, inside_workdir=inside)
        scrub(workdir)
        ctx = lab.LabContext(engine, answers.load(str(workdir / ".labkit-answers.json")), workdir)
        ctx.box, ctx.learner, ctx.session_id = (the_lab.box if the_lab is not None else None), sub.learner, me.id
        verdicts = score(exercises, ctx)
        if not private:
            ownership.clean(engine, me.id, say=lambda _l: None)
    except CommandError as err:
        why = err.stderr.strip().removeprefix("labkit: ")
        return GradeResult.ungraded(sub.learner, job.shown_path, sub.lesson, job.assignment, exercises, why,
                                    tuple(notes))
    except Exception as err:  # noqa: BLE001 - the kernel or the lab could not be run: not graded, and why
        why = f"the grader could not run this notebook ({type(err).__name__}: {str(err)[:200]})"
        return GradeResult.ungraded(sub.learner, job.shown_path, sub.lesson, job.assignment, exercises, why,
                                    tuple(notes))
    finally:
        if the_lab is not None:
            the_lab.stop()
        if uid is not None:
            sandbox.sweep(uid)
        cleanup.remove(folder)  # whole, whatever its depth and modes; never raises
    return GradeResult(sub.learner, job.shown_path, sub.lesson, None, tuple(notes), verdicts, job.assignment)


def main() -> int:
    """Read the job on stdin, grade, write the result on the stdout pipe. This is the worker process's front door:
    the session of the submission is made here, and is this process's session while the checks run."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing else this process or its children print can reach the result pipe
    try:
        job = Job.from_json(json.loads(sys.stdin.read()))
    except (ValueError, RecursionError) as err:  # MessageError, or not JSON at all
        print(f"labkit grade: the worker's job is malformed ({err})", file=sys.stderr)
        return 2
    sandbox.die_with_parent(job.grader_pid)
    me = Session(id=f"grade-{os.getpid()}-{os.urandom(4).hex()}", engine_name=job.settings.engine)
    session.activate(me)  # the checks' engine commands label and filter with this submission's session
    result = grade(job, me)
    out.write(json.dumps(result.to_json()))
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
