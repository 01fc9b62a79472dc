"""`labkit grade SUBMISSION.ipynb… --out DIR`: grade a class's notebooks, N at a time, each in its sandbox.

One notebook per learner and assignment folder is graded (labkit.grading.handin: the one named as the released
lesson; the others are listed, never graded as another learner). Which lesson a notebook is comes from the
instructor: `--lesson NN`, else the assignment folder of an nbgrader-style layout
(`submitted/<learner>/<NN-assignment>/…`), else the name the instructor's collection gave the file
(`alice-05.ipynb`) — never from anything inside the notebook. Each submission is graded by
a worker process that gets its job on stdin and answers on its stdout pipe; a worker that overruns is
killed with its boxes, and its submission is reported as not graded, with the reason.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

from labkit import coursefiles
from labkit.course.lessons import LESSONS
from labkit.engines.sim import confine
from labkit.errors import CommandError
from labkit.grading import handin, report, sandbox
from labkit.grading import nbgrader_course as nbcourse
from labkit.grading.hidden import load as load_hidden
from labkit.grading.outdir import OutDir
from labkit.grading.store import ResultStore, settings_digest
from labkit.grading.submission import lesson_from_name
from labkit.grading.text import clean, clean_line, clean_text

TRUST_MESSAGE = ("labkit grade: --engine docker gives every submission the Docker socket (root on this machine); "
                 "grade untrusted notebooks on the default embedded engine, or add --trust-submissions\n")
ASSETS = coursefiles.assets_dir()
MARGIN = 60.0  # seconds a worker gets beyond --timeout to start the lab, run the checks and clean up
TRANSIENT = "_lost"  # set on a result that says nothing about the submission (never kept, never reported)
RUNNING: set[subprocess.Popen] = set()  # the worker processes being waited for


@dataclass(frozen=True)
class Item:
    """One notebook to grade, and what the instructor's layout says about it."""

    path: Path
    learner: str
    lesson: str | None
    assignment: str | None = None
    note: str | None = None  # which notebook of its assignment folder was graded and why, when not the released name
    extras: tuple[str, ...] = ()  # the folder's other notebooks, never graded (labkit.grading.handin)
    unchosen: bool = False  # none of its folder's notebooks could be chosen: not graded, `note` says why
    timestamp: str | None = None  # when it was handed in (nbgrader's timestamp.txt, else the file's time)


def _nbgrader(given: Path, nb: Path) -> tuple[str, str, Path] | None:
    """(learner, assignment, assignment folder) when nb lies in nbgrader's layout, `submitted/<learner>/<assignment>/…`:
    the two folders directly under the `submitted` folder the instructor named — the path given when it is one, else
    the first `submitted` in the path as given (its own folders first: below it a learner may have made one),
    never a deeper one (alice's `01-x/submitted/bob/14-y/x.ipynb` is alice's 01-x)."""
    base = Path(os.path.abspath(given))
    parts = base.parts + (nb.relative_to(given).parts if nb != given else ())
    if base.name == "submitted" and given.is_dir():
        i = len(base.parts) - 1
    elif "submitted" in parts:
        i = parts.index("submitted")
    else:
        return None
    return (parts[i + 1], parts[i + 2], Path(*parts[:i + 3])) if i + 3 < len(parts) else None


def _handins(folders: dict[Path, tuple[str, str]], lesson: str | None) -> dict[Path, Item]:
    """The one Item of each nbgrader assignment folder (labkit.grading.handin chooses its notebook)."""
    chosen = {}
    for folder, (learner, assignment) in folders.items():
        its_lesson = lesson or lesson_from_name(assignment)
        pick = handin.choose(handin.folder_notebooks(folder), handin.released_name(its_lesson))
        path = folder / pick.graded if pick.graded else folder
        chosen[folder] = Item(path, clean_text(learner), its_lesson, clean_text(assignment),
                              clean_text(pick.note) if pick.note else None, tuple(map(clean_text, pick.extras)),
                              pick.graded is None, handin.timestamp(folder, path) if pick.graded else None)
    return chosen


def discover(items: list[str], lesson: str | None = None) -> list[Item]:
    """Every submission named, each with its lesson: notebook files as given; in folders, each nbgrader assignment
    folder's one hand-in (labkit.grading.handin: the rest are listed, never graded as another learner) and every
    other *.ipynb as a learner of its own. A file named on the command line is its assignment folder's hand-in.
    Learner and assignment names are the file system's, escaped as every report writes them (text.clean_text)."""
    found: list[Item | Path] = []  # a Path: the place of an assignment folder's hand-in, chosen at the end
    folders: dict[Path, tuple[str, str]] = {}  # assignment folders met in folders named
    named: set[Path] = set()  # assignment folders of files named
    for raw in items:
        p = Path(raw)
        if p.is_dir():
            paths = [(nb, str(nb.relative_to(p).with_suffix(""))) for nb in sorted(p.rglob("*.ipynb"))
                     if ".ipynb_checkpoints" not in nb.relative_to(p).parts and nb.is_file()]
        elif p.is_file():
            paths = [(p, p.stem)]  # a file the instructor names may be a link; one found in a folder is never followed
        else:
            raise CommandError(f"labkit grade: {clean_line(raw)} does not exist; name notebook files or folders of "
                               "them\n", 2)
        for nb, learner in paths:
            layout = _nbgrader(p, nb)
            if layout and nb != p:
                if layout[2] not in folders:
                    folders[layout[2]] = layout[:2]
                    found.append(layout[2])
                continue
            nb = nb.resolve() if nb == p else nb  # read as named: a link inside a learner's folder is not followed
            if layout:
                named.add(layout[2])
                rel = nb.relative_to(layout[2]).as_posix() if nb.is_relative_to(layout[2]) else nb.name
                others = tuple(clean_text(n) for n in handin.folder_notebooks(layout[2]) if n != rel)
                found.append(Item(nb, clean_text(layout[0]), lesson or lesson_from_name(layout[1]),
                                  clean_text(layout[1]), clean_text(f"graded {rel}, named on the command line")
                                  if others else None, others, timestamp=handin.timestamp(layout[2], nb)))
            else:
                found.append(Item(nb, clean_text(learner), lesson or lesson_from_name(nb.stem),
                                  timestamp=handin.timestamp(None, nb)))
    chosen = _handins({f: who for f, who in folders.items() if f not in named}, lesson)
    found = [chosen[it] if isinstance(it, Path) else it for it in found if not isinstance(it, Path) or it in chosen]
    if not found:
        raise CommandError("labkit grade: no notebooks found in what you named\n", 2)
    seen: dict[tuple[str, str | None], int] = {}
    unique = []
    for it in found:
        key = (it.learner, it.assignment)
        seen[key] = seen.get(key, 0) + 1
        unique.append(it if seen[key] == 1 else replace(it, learner=f"{it.learner}-{seen[key]}"))
    return unique


def with_handin(result: dict, item: Item) -> dict:
    """A result with what its assignment folder says beside the grade: which notebook was graded and why, the
    other notebooks there (`extra_files`, never graded), and when it was handed in (`timestamp`). Added when the
    reports are written, never kept with the result: a new Untitled.ipynb changes the list, not the grade."""
    notes = list(result.get("notes") or [])
    if item.note and not item.unchosen:
        notes.insert(0, item.note)
    if item.extras and not item.unchosen:  # an unchosen folder's error lists them already
        notes.append("also in the assignment folder, not graded: " + ", ".join(item.extras))
    return dict(result, notes=notes, extra_files=list(item.extras), timestamp=item.timestamp)


def progress_bar(total: int, already: int):
    """A progress bar with an ETA on stderr (tqdm), quiet when stderr is not a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, initial=already, unit="notebook", desc="graded", disable=not sys.stderr.isatty(),
                dynamic_ncols=True, smoothing=0.1)


def ungraded_result(item: Item, hidden: list[str], why: str) -> dict:
    """The result of a submission that could not be graded: every exercise at 0 of its full points, and why."""
    from labkit.grading.worker import exercises_for, ungraded

    return clean({"learner": item.learner, "assignment": item.assignment, "path": str(item.path),
                  "lesson": item.lesson, "error": why, "notes": [],
                  "exercises": ungraded(exercises_for(item.lesson, hidden), why)})


def lost_result(item: Item, hidden: list[str], why: str) -> dict:
    """An ungraded result that says nothing about the submission (interrupted, a worker lost): never kept, so
    the next run grades it again."""
    return dict(ungraded_result(item, hidden, why), **{TRANSIENT: True})


def stop_running() -> None:
    """Kill every worker process this grader is waiting for, with its boxes (an interrupted run)."""
    for proc in list(RUNNING):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def grade_one(item: Item, spec: dict, hidden: list[str]) -> dict:
    """Grade one submission in a worker process; a worker that overruns or dies still yields a result. What the
    worker answers enters the grader here, every string in it escaped (text.clean)."""
    job = dict(spec, path=str(item.path.absolute()), learner=item.learner, lesson=item.lesson,
               grader_pid=os.getpid())
    proc = subprocess.Popen([sys.executable, "-m", "labkit.grading.worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    RUNNING.add(proc)
    limit = spec["timeout"] + MARGIN
    try:
        out, err = proc.communicate(json.dumps(job).encode(), timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its boxes die with it (--die-with-parent)
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        return ungraded_result(item, hidden, f"grading ran longer than {limit:g} s (the --timeout given, "
                                             f"{spec['timeout']:g} s, plus {MARGIN:g} s for the lab and the checks)")
    finally:
        RUNNING.discard(proc)
    try:
        result = json.loads(out) if proc.returncode == 0 else None
    except ValueError:
        result = None
    if not isinstance(result, dict) or result.get("learner") != item.learner:
        why = ("interrupted" if proc.returncode in (-signal.SIGINT, -signal.SIGTERM) else
               "the grader's worker was killed (SIGKILL: out of memory?)" if proc.returncode == -signal.SIGKILL else
               f"the grader's worker failed (exit code {proc.returncode})")
        res = lost_result(item, hidden, why)
        res["grader_log"] = clean_text(err[-2000:])
        return res
    result["assignment"] = item.assignment
    return clean(result)


def choose_sandbox(name: str, trust: bool, engine: str) -> tuple[str, str]:
    """(the sandbox to use, one line saying which and why); refuses untrusted code with none available."""
    if engine == "docker":
        return "none", "labkit grade: sandbox: none (--engine docker hands every notebook the Docker socket)"
    if name in ("bwrap", "container") and confine.abi() < 1:
        raise CommandError("labkit grade: this kernel has no Landlock (Linux 5.13 or newer, with landlock among its "
                           "LSMs), which keeps a submission's container programs from rewriting its lab; grade only "
                           "notebooks you trust with --sandbox none --trust-submissions\n", 2)
    if name == "container":
        from labkit.grading import containerbox

        problem = containerbox.probe()
        if problem:
            raise CommandError(f"labkit grade: --sandbox container needs this machine's Docker daemon: {problem}; "
                               "use --sandbox bwrap\n", 2)
        return "container", ("labkit grade: sandbox: container (a kernel container and a lab container per "
                             f"submission, image {containerbox.image_name()})")
    if name == "none":
        if not trust:
            raise CommandError("labkit grade: --sandbox none runs every notebook as you, with your files; "
                               "add --trust-submissions if you trust them all\n", 2)
        return "none", "labkit grade: sandbox: none (--trust-submissions): notebooks run as you"
    if name != "bwrap":
        raise CommandError(f"labkit grade: unknown sandbox {name!r}; use bwrap, container or none\n", 2)
    problem = sandbox.probe()
    if problem:
        raise CommandError(f"labkit grade: no sandbox for untrusted notebooks here: {problem}; "
                           "grade only notebooks you trust with --sandbox none --trust-submissions\n", 2)
    return "bwrap", "labkit grade: sandbox: bwrap (a kernel box and a lab box per submission)"


def grade_locally(work: list[tuple[int, Item]], spec: dict, hidden: list[str], jobs: int,
                  done: Callable[[int, dict], None]) -> None:
    """Grade every (index, Item) of work on this machine, jobs at a time; done(index, result) as each finishes."""
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(grade_one, it, spec, hidden): i for i, it in work}
        for fut in as_completed(futures):
            done(futures[fut], fut.result())
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def grade(items: list[str], out: str, engine: str = "sim", jobs: int = 1, timeout: float = 300,
          cell_timeout: float = 60, hidden: list[str] | None = None, trust: bool = False,
          assets: str | None = None, say=print, sandbox_name: str = "bwrap", lesson: str | None = None,
          limits: dict | None = None, scheduler: str | None = None, nbgrader_course: str | None = None) -> list[dict]:
    """Grade every submission and write the reports (and, given an nbgrader course folder, its gradebook and
    releasable feedback: labkit.grading.nbgrader_course); returns the results."""
    if engine not in ("sim", "docker"):
        raise CommandError(f"labkit grade: unknown engine {engine!r}; use sim (the default) or docker\n", 2)
    if engine == "docker" and not trust:
        raise CommandError(TRUST_MESSAGE, 2)
    if scheduler and engine == "docker":
        raise CommandError("labkit grade: --scheduler grades on the embedded engine only (on Docker every "
                           "submission shares one daemon's names); drop --engine docker\n", 2)
    if jobs < 1:
        raise CommandError("labkit grade: --jobs must be 1 or more\n", 2)
    if lesson is not None:
        lesson = lesson_from_name(lesson if len(lesson) > 1 else f"0{lesson}")
        if lesson is None:
            raise CommandError(f"labkit grade: --lesson names no lesson of the course ({min(LESSONS)} to "
                               f"{max(LESSONS)})\n", 2)
    assets_dir = Path(assets) if assets else ASSETS
    if not (assets_dir / "day8" / "server.py").is_file():
        raise CommandError(f"labkit grade: the course assets are not at {assets_dir}; pass --assets DIR\n", 2)
    for h in hidden or []:
        if not Path(h).is_file():
            raise CommandError(f"labkit grade: hidden checks file {h} does not exist\n", 2)
    load_hidden(hidden or [])  # a broken file is a one-line error now, never a learner's "not graded"
    if nbgrader_course:
        nbcourse.check(Path(nbgrader_course))
    subs = discover(items, lesson)
    box, line = choose_sandbox(sandbox_name, trust, engine)
    folder = OutDir(Path(out))  # refused now, not after an hour of grading
    say(line)
    if engine == "docker" and jobs > 1:
        say("labkit grade: on Docker every submission uses the same names (server, day8-net) on one daemon, "
            "so submissions are graded one at a time")
        jobs = 1
    hidden_paths = [str(Path(h).resolve()) for h in hidden or []]
    spec = {"engine": engine, "timeout": timeout, "cell_timeout": cell_timeout, "hidden": hidden_paths,
            "assets": str(assets_dir.resolve()), "sandbox": box, "limits": limits or {}}
    store = ResultStore(folder, settings_digest(spec, hidden_paths))
    results: dict[int, dict] = {}
    for i, it in enumerate(subs):
        found = None if it.unchosen else store.get(it)
        if found is not None:
            results[i] = found
    kept = set(results)
    if results:
        say(f"labkit grade: {len(results)} of {len(subs)} submission(s) were graded already in {out} (same file, "
            f"same settings, same labkit); grading the other {sum(1 for it in subs if not it.unchosen) - len(results)}")
    extra = sum(1 for it in subs if it.extras and not it.unchosen)
    if extra:
        say(f"labkit grade: {extra} assignment folder(s) hold notebooks besides the one graded (untitled, copies, "
            "checkpoints): never graded, listed in results.json (extra_files) and in the feedback")
    for i, it in enumerate(subs):
        if it.unchosen:  # never run, never kept: which notebook to grade is the instructor's to say
            results[i] = ungraded_result(it, hidden_paths, it.note or "none of its notebooks was chosen")
    todo = [(i, it) for i, it in enumerate(subs) if i not in results]
    bar = progress_bar(len(subs), len(results))


    def done(i: int, result: dict) -> None:
        if not result.pop(TRANSIENT, False):
            store.put(subs[i], result)
            kept.add(i)
        results[i] = result
        bar.update(1)

    try:
        if scheduler:
            from labkit.grading import cluster

            say(f"labkit grade: {len(todo)} task(s) to the Dask scheduler at {scheduler}")
            cluster.grade_on(scheduler, todo, spec, hidden_paths, done,
                             lambda item, why: lost_result(item, hidden_paths, why))
        else:
            grade_locally(todo, spec, hidden_paths, jobs, done)
    except KeyboardInterrupt:
        stop_running()
        bar.close()
        raise CommandError(f"labkit grade: interrupted; {len(kept)} of {len(subs)} submission(s) graded and kept in "
                           f"{out}; run the same command again to grade the rest\n", 130) from None
    bar.close()
    ordered = [with_handin(results[i], subs[i]) for i in range(len(subs))]
    report.write(Path(out), ordered, engine, box, folder)
    folder.close()
    for line in nbcourse.write(Path(nbgrader_course), ordered) if nbgrader_course else []:
        say(line)
    total = sum(report.totals(r)[0] for r in ordered)
    most = sum(report.totals(r)[1] for r in ordered)
    bad = sum(1 for r in ordered if r.get("error"))
    say(f"graded {len(ordered) - bad} submission(s) on {engine}: {total}/{most} points in all"
        + (f"; {bad} could not be graded (see their error)" if bad else "") + f"; reports in {out}")
    return ordered
