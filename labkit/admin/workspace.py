"""The learner's workspace: the course's notebooks with every output cleared, made once and never overwritten.

`notebooks/` is the released course: executed, its outputs stored, re-executed and compared by nbval (`make test`).
A learner must meet each "Predict" before its answer, so `make lab` and Binder open a workspace made from it
(`labkit workspace`, default `workspace/` in the checkout, git-ignored; from a wheel, in the current folder):

- every lesson notebook, copied with no outputs, no execution counts and no stored widget state, when the
  workspace has no file of that name; an existing copy is never written to (the learner's edits survive, and a
  lesson added to the course later is copied in beside them);
- `assets/`, the course's build material (`labkit.lesson` builds the day8 image from `assets/day8`): kept equal
  to the course's, since it is the course's and not the learner's;
- any other file or folder of the course: copied once, when missing;
- every copy is the learner's to edit, whatever the course's own modes (an installed course may be read-only);
- `day8/`, the learner's own server: `labkit.lesson` creates it in the workspace (the notebook's folder); one
  made in `notebooks/day8` before workspaces existed is carried over when the workspace has none.

`--fresh NN` sets the learner's copy of lesson NN (or `day8`) aside in `old/` and starts it again from the course, and
forgets that lesson's quiz choices, answers and predictions in the session's store (labkit.course.answers.forget_lesson:
LABKIT_SESSION's session, else the user's own, the one their kernels keep).
The course is `labkit.coursefiles.course_dir()`: the checkout's `notebooks/`, or the copy a wheel installed with
labkit; only the workspace is written, never the course (JupyterLab's news question: labkit.admin.labsettings).
"""

from __future__ import annotations

import filecmp
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from labkit import coursefiles
from labkit.errors import CommandError

COURSE = coursefiles.course_dir()
WORKSPACE_NAME = "workspace"
ASSETS = "assets"
LEARNER_DIR = "day8"  # the learner's own server folder (labkit.course.labbuild.WORKDIR)
OLD = "old"
SKIPPED = {LEARNER_DIR, "__pycache__"}  # never copied from the course folder (nor hidden names)


def default_workspace() -> Path:
    """Where a workspace goes when none is named: workspace/ in the source checkout labkit runs from (git-ignored),
    else (labkit installed from a wheel) workspace/ in the current folder: never inside the installed package."""
    return (Path.cwd() if coursefiles.installed() else coursefiles.CHECKOUT) / WORKSPACE_NAME


@dataclass
class Report:
    """What `ensure` did to a workspace."""

    path: Path
    created: bool = False
    added: list[str] = field(default_factory=list)  # lessons (and other files) copied in this time
    kept: list[str] = field(default_factory=list)  # lessons already there, left as they were
    refreshed: list[str] = field(default_factory=list)  # asset files brought back to the course's version
    carried: bool = False  # notebooks/day8 copied in as the learner's day8/

    def lines(self) -> list[str]:
        """One line per fact, for the console."""
        out = [f"workspace: {self.path}"]
        if self.created:
            out.append(f"  created: {len(self.added)} file(s) copied from the course, every notebook with its outputs cleared")
        elif self.added:
            out.append(f"  added: {', '.join(self.added)} (new in the course); your {len(self.kept)} other "
                       "lesson(s) left as they are")
        else:
            out.append(f"  your {len(self.kept)} lesson(s) left as they are (a workspace is never overwritten)")
        if self.refreshed:
            out.append(f"  assets/ brought up to date with the course: {', '.join(self.refreshed)}")
        if self.carried:
            out.append(f"  your server from notebooks/{LEARNER_DIR}/ copied in as {LEARNER_DIR}/")
        return out


def _copy(src: str | Path, dest: str | Path) -> str:
    """Copy one course file (contents and times) as the learner's: writable by them, even from a read-only course."""
    shutil.copy2(src, dest)
    os.chmod(dest, os.stat(dest).st_mode | stat.S_IWUSR)
    return str(dest)


def _copy_tree(src: Path, dest: Path) -> None:
    """Copy a course folder (no hidden names, no caches) as the learner's, its folders and files writable by them."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".*", "__pycache__"), copy_function=_copy)
    for folder, _, _ in os.walk(dest):
        os.chmod(folder, os.stat(folder).st_mode | stat.S_IWUSR)


def _copied_names(course: Path) -> list[Path]:
    return sorted(p for p in course.iterdir() if not p.name.startswith(".") and p.name not in SKIPPED | {ASSETS})


def cleared(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with no outputs, execution counts, execution timings or stored widget state (changed in place)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    return nb


def blank_copy(src: Path, dest: Path) -> None:
    """Write `src` without its outputs to `dest`; refuses (FileExistsError) to replace an existing file."""
    nb = cleared(nbformat.read(src, as_version=nbformat.NO_CONVERT))
    nbformat.validate(nb)
    with open(dest, "x", encoding="utf-8") as out:  # "x": a learner's file is never overwritten, even in a race
        nbformat.write(nb, out)


def _sync_assets(course: Path, path: Path) -> list[str]:
    src, dest = course / ASSETS, path / ASSETS
    changed: list[str] = []
    if not src.is_dir():
        return changed
    for item in sorted(src.rglob("*")):
        rel = item.relative_to(src)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts) or not item.is_file():
            continue
        target = dest / rel
        if target.is_file() and filecmp.cmp(item, target, shallow=False):
            continue
        if target.exists() and not target.is_file():
            raise CommandError(f"labkit workspace: {target} is in the way of the course's asset {rel}\n", 1)
        target.parent.mkdir(parents=True, exist_ok=True)
        existed = target.exists()
        _copy(item, target)
        if existed:
            changed.append(str(Path(ASSETS) / rel))
    return changed


def _check_course(course: Path) -> None:
    if not course.is_dir() or not any(course.glob("*.ipynb")):
        raise CommandError(f"labkit workspace: no course notebooks in {course}; name the course's notebooks/ "
                           "folder with --course\n", 1)


def ensure(path: Path | None = None, course: Path | None = None) -> Report:
    """Make the workspace at `path` from `course`, or complete it: copy what is missing, never overwrite."""
    course = Path(course or COURSE).resolve()
    path = Path(path or default_workspace()).resolve()
    _check_course(course)
    if path == course or course in path.parents:
        raise CommandError(f"labkit workspace: {path} is inside the course folder {course}; pick a folder outside\n", 1)
    if path.exists() and not path.is_dir():
        raise CommandError(f"labkit workspace: {path} is a file, not a folder; name another with --path\n", 1)
    report = Report(path, created=not path.exists())
    path.mkdir(parents=True, exist_ok=True)
    for item in _copied_names(course):
        target = path / item.name
        lesson = item.suffix == ".ipynb"
        if target.exists() or target.is_symlink():
            if lesson:
                report.kept.append(item.name)
            continue
        if lesson:
            try:
                blank_copy(item, target)
            except FileExistsError:  # made meanwhile by another `labkit workspace`: it is the learner's now
                report.kept.append(item.name)
                continue
        elif item.is_dir():
            _copy_tree(item, target)
        else:
            _copy(item, target)
        report.added.append(item.name)
    report.refreshed = _sync_assets(course, path)
    own, before = path / LEARNER_DIR, course / LEARNER_DIR
    if not own.exists() and (before / "server.py").is_file():
        _copy_tree(before, own)
        report.carried = True
    return report


def _aside(path: Path, item: Path) -> Path:
    """Move `item` into the workspace's old/ folder under a free name; return where it went."""
    old = path / OLD
    old.mkdir(exist_ok=True)
    stem, suffix = (item.stem, item.suffix) if item.is_file() else (item.name, "")
    n = 1
    while (old / f"{stem}-{n}{suffix}").exists():
        n += 1
    dest = old / f"{stem}-{n}{suffix}"
    item.rename(dest)
    return dest


def fresh(which: str, path: Path | None = None, course: Path | None = None) -> list[str]:
    """Set the learner's copy of lesson `which` ("09") or of `day8` aside in old/ and start it again, forgetting the
    lesson's stored answers and predictions; say what moved and what was forgotten."""
    course = Path(course or COURSE).resolve()
    path = Path(path or default_workspace()).resolve()
    _check_course(course)
    if which.strip().rstrip("/") == LEARNER_DIR:
        own = path / LEARNER_DIR
        if not own.exists():
            return [f"  {LEARNER_DIR}/: none yet; the first lesson you run makes it from the course"]
        moved = _aside(path, own)
        return [f"  {LEARNER_DIR}/ set aside as {moved.relative_to(path)}; the next lesson you run makes a fresh one"]
    key = f"{int(which):02d}" if which.strip().isdigit() else which.strip()
    sources = sorted(course.glob(f"{key}-*.ipynb")) or sorted(course.glob(f"{key}.ipynb"))
    if not sources:
        lessons = ", ".join(sorted(p.name.split("-", 1)[0] for p in course.glob("*.ipynb")))
        raise CommandError(f"labkit workspace: the course has no lesson {which!r}; lessons: {lessons} (or day8)\n", 1)
    said = []
    for src in sources:
        target = path / src.name
        if target.exists():
            moved = _aside(path, target)
            said.append(f"  {src.name}: your copy set aside as {moved.relative_to(path)}")
        path.mkdir(parents=True, exist_ok=True)
        blank_copy(src, target)
        said.append(f"  {src.name}: a fresh copy from the course, without outputs")
    for lesson in sorted({src.name.split("-", 1)[0] for src in sources}):
        said.append(_forget_answers(lesson))
    return said


def _forget_answers(lesson: str) -> str:
    """Forget the lesson's stored quiz choices, answers and predictions (the session's store); say so in one line."""
    from labkit.course import answers

    count, store = answers.forget_lesson(lesson)
    if not count:
        return f"  lesson {lesson}: no stored quiz choices, answers or predictions to forget ({store})"
    return (f"  lesson {lesson}: {count} stored quiz choice(s), answer(s) and prediction(s) forgotten ({store}); "
            "a kernel still open on the old copy keeps them until it restarts")
