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

import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

from labkit import coursefiles
from labkit.course.catalog import LESSONS
from labkit.engines.sim import confine
from labkit.errors import CommandError
from labkit.grading import cluster, containerbox, engines, handin, report, sandbox
from labkit.grading import nbgrader_course as nbcourse
from labkit.grading.dispatch import Item, grade_one, not_graded, stop_running
from labkit.grading.hidden import load as load_hidden
from labkit.grading.messages import GradeResult, GradeSettings, MessageError
from labkit.grading.outdir import OutDir
from labkit.grading.store import ResultStore, settings_digest
from labkit.grading.submission import lesson_from_name
from labkit.grading.text import clean_line, clean_text

TRUST_MESSAGE = ("labkit grade: --engine docker gives every submission the Docker socket (root on this machine); "
                 "grade untrusted notebooks on the default embedded engine, or add --trust-submissions\n")
ASSETS = coursefiles.assets_dir()


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
    """The serialised form of an ungraded result (dispatch.not_graded): every exercise at 0 of its full points."""
    return not_graded(item, hidden, why).to_json()


def choose_sandbox(name: str, trust: bool, engine: str) -> tuple[str, str]:
    """(the sandbox to use, one line saying which and why); refuses untrusted code with none available."""
    if not engines.private_daemon(engine):
        return "none", "labkit grade: sandbox: none (--engine docker hands every notebook the Docker socket)"
    if name in ("bwrap", "container") and confine.abi() < 1:
        raise CommandError("labkit grade: this kernel has no Landlock (Linux 5.13 or newer, with landlock among its "
                           "LSMs), which keeps a submission's container programs from rewriting its lab; grade only "
                           "notebooks you trust with --sandbox none --trust-submissions\n", 2)
    if name == "container":
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


def grade_locally(work: list[tuple[int, Item]], settings: GradeSettings,
                  done: Callable[[int, GradeResult], None]) -> None:
    """Grade every (index, Item) of work on this machine, settings.jobs at a time; done(index, result) as each
    finishes."""
    pool = ThreadPoolExecutor(max_workers=settings.jobs)
    try:
        futures = {pool.submit(grade_one, it, settings): i for i, it in work}
        for fut in as_completed(futures):
            done(futures[fut], fut.result())
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def checked(settings: GradeSettings) -> GradeSettings:
    """The settings, refused in one line when they cannot be graded with (before anything is read or run); the
    lesson as the course names it, the assets and hidden checks as absolute paths."""
    private = engines.private_daemon(settings.engine)
    if not private and not settings.trust:
        raise CommandError(TRUST_MESSAGE, 2)
    if settings.scheduler and not private:
        raise CommandError("labkit grade: --scheduler grades on the embedded engine only (on Docker every "
                           f"submission shares one daemon's names); drop --engine {settings.engine}\n", 2)
    if settings.jobs < 1:
        raise CommandError("labkit grade: --jobs must be 1 or more\n", 2)
    lesson = settings.lesson
    if lesson is not None:
        lesson = lesson_from_name(lesson if len(lesson) > 1 else f"0{lesson}")
        if lesson is None:
            raise CommandError(f"labkit grade: --lesson names no lesson of the course ({min(LESSONS)} to "
                               f"{max(LESSONS)})\n", 2)
    assets_dir = Path(settings.assets) if settings.assets else ASSETS
    if not (assets_dir / "day8" / "server.py").is_file():
        raise CommandError(f"labkit grade: the course assets are not at {assets_dir}; pass --assets DIR\n", 2)
    for h in settings.hidden:
        if not Path(h).is_file():
            raise CommandError(f"labkit grade: hidden checks file {h} does not exist\n", 2)
    load_hidden(list(settings.hidden))  # a broken file is a one-line error now, never a learner's "not graded"
    if settings.nbgrader_course:
        nbcourse.check(Path(settings.nbgrader_course))
    return replace(settings, lesson=lesson, assets=str(assets_dir.resolve()),
                   hidden=tuple(str(Path(h).resolve()) for h in settings.hidden))


def one_at_a_time(settings: GradeSettings, say: Callable[[str], object]) -> GradeSettings:
    """The settings with one job at a time on an engine whose daemon every submission shares (and why, said)."""
    if engines.private_daemon(settings.engine) or settings.jobs <= 1:
        return settings
    say("labkit grade: on Docker every submission uses the same names (server, day8-net) on one daemon, "
        "so submissions are graded one at a time")
    return replace(settings, jobs=1)


def resumed(subs: list[Item], store: ResultStore, out: str, say: Callable[[str], object]) -> dict[int, GradeResult]:
    """The results kept from an earlier run with these settings, by index of subs (said when there are any); a kept
    file that is no result (GradeResult.from_json refuses it) is graded again."""
    results: dict[int, GradeResult] = {}
    for i, it in enumerate(subs):
        found = None if it.unchosen else store.get(it)
        try:
            if found is not None:
                results[i] = GradeResult.from_json(found)
        except MessageError:
            continue
    if results:
        say(f"labkit grade: {len(results)} of {len(subs)} submission(s) were graded already in {out} (same file, "
            f"same settings, same labkit); grading the other {sum(1 for it in subs if not it.unchosen) - len(results)}")
    return results


def say_extras(subs: list[Item], say: Callable[[str], object]) -> None:
    """Say how many assignment folders hold notebooks that are not graded."""
    extra = sum(1 for it in subs if it.extras and not it.unchosen)
    if extra:
        say(f"labkit grade: {extra} assignment folder(s) hold notebooks besides the one graded (untitled, copies, "
            "checkpoints): never graded, listed in results.json (extra_files) and in the feedback")


def schedule(todo: list[tuple[int, Item]], settings: GradeSettings, done: Callable[[int, GradeResult], None],
             say: Callable[[str], object]) -> None:
    """Grade what is left, on the Dask cluster the settings name or on this machine."""
    if settings.scheduler:
        say(f"labkit grade: {len(todo)} task(s) to the Dask scheduler at {settings.scheduler}")
        cluster.grade_on(settings.scheduler, todo, settings, done)
    else:
        grade_locally(todo, settings, done)


def reported(out: str, folder: OutDir, subs: list[Item], results: dict[int, GradeResult], settings: GradeSettings,
             say: Callable[[str], object]) -> list[dict]:
    """Write every report (and the nbgrader course's gradebook, when named), say the class's total; the results as
    the reports wrote them."""
    ordered = [with_handin(results[i].settled().to_json(), subs[i]) for i in range(len(subs))]
    report.write(Path(out), ordered, settings.engine, settings.sandbox, folder)
    folder.close()
    for line in nbcourse.write(Path(settings.nbgrader_course), ordered) if settings.nbgrader_course else []:
        say(line)
    total = sum(report.totals(r)[0] for r in ordered)
    most = sum(report.totals(r)[1] for r in ordered)
    bad = sum(1 for r in ordered if r.get("error"))
    say(f"graded {len(ordered) - bad} submission(s) on {settings.engine}: {total}/{most} points in all"
        + (f"; {bad} could not be graded (see their error)" if bad else "") + f"; reports in {out}")
    return ordered


def grade(items: list[str], out: str, settings: GradeSettings | None = None, say: Callable[[str], object] = print,
          **options) -> list[dict]:
    """Grade every submission and write the reports (and, given an nbgrader course folder, its gradebook and
    releasable feedback: labkit.grading.nbgrader_course); returns the results as results.json holds them.
    options: GradeSettings' fields by name, over settings (`sandbox_name` is the sandbox's)."""
    if "sandbox_name" in options:
        options["sandbox"] = options.pop("sandbox_name")
    settings = checked(replace(settings or GradeSettings(), **options))
    subs = discover(items, settings.lesson)
    box, line = choose_sandbox(settings.sandbox, settings.trust, settings.engine)
    folder = OutDir(Path(out))  # refused now, not after an hour of grading
    say(line)
    settings = one_at_a_time(replace(settings, sandbox=box), say)
    store = ResultStore(folder, settings_digest(settings, list(settings.hidden)))
    results = resumed(subs, store, out, say)
    kept = set(results)
    say_extras(subs, say)
    for i, it in enumerate(subs):
        if it.unchosen:  # never run, never kept: which notebook to grade is the instructor's to say
            results[i] = not_graded(it, settings.hidden, it.note or "none of its notebooks was chosen")
    todo = [(i, it) for i, it in enumerate(subs) if i not in results]
    bar = progress_bar(len(subs), len(results))

    def done(i: int, result: GradeResult) -> None:
        if not result.lost:
            store.put(subs[i], result.to_json())
            kept.add(i)
        results[i] = result
        bar.update(1)

    try:
        schedule(todo, settings, done, say)
    except KeyboardInterrupt:
        stop_running()
        bar.close()
        raise CommandError(f"labkit grade: interrupted; {len(kept)} of {len(subs)} submission(s) graded and kept in "
                           f"{out}; run the same command again to grade the rest\n", 130) from None
    bar.close()
    return reported(out, folder, subs, results, settings, say)

