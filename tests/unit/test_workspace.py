"""The learner's workspace (`labkit workspace`, `make lab`): the course without outputs, made once, never overwritten;
its assets follow the course; the learner's day8/ lives in it; pytest never collects it; `make lab` installs only
what the course needs to run and asks JupyterLab for --allow-root only as root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest

from labkit import coursefiles
from labkit.admin import labsettings, workspace
from labkit.errors import CommandError

ROOT = Path(__file__).resolve().parents[2]
COURSE = coursefiles.course_dir()


def _course(tmp: Path) -> Path:
    """A scratch copy of the released course (the tests add and change lessons in it)."""
    course = tmp / "course"
    shutil.copytree(COURSE, course, ignore=lambda d, names: [n for n in names if n in (".ipynb_checkpoints", "__pycache__")
                                                             or (Path(d) == COURSE and n == "day8")])
    return course


def _stored(nb) -> list:
    """Everything a run leaves in a notebook: outputs, execution counts and timings, widget state."""
    left = [("outputs", i) for i, c in enumerate(nb.cells) if c.get("outputs")]
    left += [("execution_count", i) for i, c in enumerate(nb.cells) if c.get("execution_count") is not None]
    left += [("execution", i) for i, c in enumerate(nb.cells) if "execution" in c.metadata]
    return left + (["widgets"] if "widgets" in nb.metadata else [])


def _labkit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labkit", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd or ROOT)


def test_every_lesson_is_copied_with_no_output_and_the_same_cells(tmp_path):
    report = workspace.ensure(tmp_path / "ws", COURSE)
    lessons = sorted(p.name for p in COURSE.glob("*.ipynb"))
    others = sorted(p.name for p in COURSE.iterdir() if p.suffix != ".ipynb" and p.name not in ("assets", "day8")
                    and not p.name.startswith("."))  # e.g. the cheat sheet: copied once, as it is
    assert report.created and sorted(report.added) == sorted(lessons + others)
    for name in others:
        assert (tmp_path / "ws" / name).exists()
    stored = 0
    for name in lessons:
        ref = nbformat.read(COURSE / name, as_version=4)
        mine = nbformat.read(tmp_path / "ws" / name, as_version=4)
        stored += len(_stored(ref))
        assert _stored(mine) == [], f"{name}: {_stored(mine)[:5]}"
        nbformat.validate(mine)
        assert [(c.cell_type, c.source) for c in mine.cells] == [(c.cell_type, c.source) for c in ref.cells]
        assert [c.metadata.get("tags") for c in mine.cells] == [c.metadata.get("tags") for c in ref.cells]
    assert stored > 0, "control: the released notebooks carry outputs, so the check above can fail"
    assert (tmp_path / "ws" / "assets" / "day8" / "server.py").read_bytes() == \
        (COURSE / "assets" / "day8" / "server.py").read_bytes()


def test_a_learners_edits_survive_and_new_lessons_are_added(tmp_path):
    course, ws = _course(tmp_path), tmp_path / "ws"
    workspace.ensure(ws, course)
    edited = ws / "09-fix-bind-all-interfaces.ipynb"
    nb = nbformat.read(edited, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('my own experiment')"))
    nbformat.write(nb, edited)
    before = edited.read_bytes()
    (ws / "05-container-to-container.ipynb").unlink()  # deleted: the way to get a fresh copy of one lesson
    new = nbformat.read(course / "00-start-here.ipynb", as_version=4)
    nbformat.write(new, course / "15-finale.ipynb")  # a lesson the course gained later (with its outputs)
    report = workspace.ensure(ws, course)
    assert edited.read_bytes() == before
    assert sorted(report.added) == ["05-container-to-container.ipynb", "15-finale.ipynb"]
    assert not report.created and edited.name in report.kept
    assert _stored(nbformat.read(ws / "15-finale.ipynb", as_version=4)) == []
    assert "05-container-to-container.ipynb, 15-finale.ipynb (new in the course)" in "\n".join(report.lines())


def test_assets_follow_the_course_but_day8_is_the_learners(tmp_path, monkeypatch):
    from labkit.course import labbuild as lessons

    course, ws = _course(tmp_path), tmp_path / "ws"
    workspace.ensure(ws, course)
    monkeypatch.chdir(ws)  # a kernel's working folder is its notebook's: labkit.lesson makes day8/ there
    made = lessons.ensure_workdir()
    assert (ws / made / "server.py").read_bytes() == (course / "assets" / "day8" / "server.py").read_bytes()
    (ws / "day8" / "server.py").write_text("# my fix\n")
    (ws / "assets" / "day8" / "server.py").write_text("# changed by mistake\n")
    report = workspace.ensure(ws, course)
    assert report.refreshed == ["assets/day8/server.py"]
    assert (ws / "assets" / "day8" / "server.py").read_bytes() == (course / "assets" / "day8" / "server.py").read_bytes()
    assert (ws / "day8" / "server.py").read_text() == "# my fix\n"


def test_a_day8_made_in_notebooks_before_workspaces_is_carried_over_once(tmp_path):
    course, ws = _course(tmp_path), tmp_path / "ws"
    (course / "day8").mkdir()
    (course / "day8" / "server.py").write_text("# fixed before the workspace existed\n")
    assert workspace.ensure(ws, course).carried
    assert (ws / "day8" / "server.py").read_text() == "# fixed before the workspace existed\n"
    (ws / "day8" / "server.py").write_text("# newer work\n")
    assert not workspace.ensure(ws, course).carried
    assert (ws / "day8" / "server.py").read_text() == "# newer work\n"


def test_fresh_sets_the_old_copy_aside_and_starts_again(tmp_path):
    course, ws = _course(tmp_path), tmp_path / "ws"
    workspace.ensure(ws, course)
    mine = ws / "09-fix-bind-all-interfaces.ipynb"
    nb = nbformat.read(mine, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("(my notes)"))
    nbformat.write(nb, mine)
    said = workspace.fresh("9", ws, course)
    assert "(my notes)" in (ws / "old" / "09-fix-bind-all-interfaces-1.ipynb").read_text()
    assert "(my notes)" not in mine.read_text() and _stored(nbformat.read(mine, as_version=4)) == []
    assert said[0] == "  09-fix-bind-all-interfaces.ipynb: your copy set aside as old/09-fix-bind-all-interfaces-1.ipynb"
    (ws / "day8").mkdir()
    workspace.fresh("day8", ws, course)
    assert not (ws / "day8").exists() and (ws / "old" / "day8-1").is_dir()
    with pytest.raises(CommandError, match="no lesson '77'"):
        workspace.fresh("77", ws, course)


def test_a_workspace_inside_the_course_is_refused(tmp_path):
    course = _course(tmp_path)
    with pytest.raises(CommandError, match="inside the course folder"):
        workspace.ensure(course / "workspace", course)
    assert not (course / "workspace").exists()


def test_the_cli_makes_then_keeps(tmp_path):
    ws = tmp_path / "ws"
    first = _labkit("workspace", "--path", str(ws), "--course", str(COURSE), "--keep-lab-settings")
    assert first.returncode == 0, first.stderr
    n = len(list(COURSE.glob("*.ipynb")))
    copied = len([p for p in COURSE.iterdir() if not p.name.startswith(".") and p.name not in ("assets", "day8")])
    assert first.stdout.splitlines()[:2] == [f"workspace: {ws}",
                                             f"  created: {copied} file(s) copied from the course, every notebook "
                                             "with its outputs cleared"]
    again = _labkit("workspace", "--path", str(ws), "--course", str(COURSE), "--keep-lab-settings")
    assert again.stdout.splitlines()[1] == f"  your {n} lesson(s) left as they are (a workspace is never overwritten)"
    missing = _labkit("workspace", "--path", str(ws), "--course", str(tmp_path / "nope"), "--keep-lab-settings")
    assert missing.returncode == 1 and missing.stderr.startswith("labkit workspace: no course notebooks in ")


def test_jupyterlab_news_override_is_merged_into_overrides_json(tmp_path):
    (tmp_path / "overrides.json").write_text(json.dumps({
        "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
        "@jupyterlab/apputils-extension:notification": {"doNotDisturbMode": True, "fetchNews": "true"}}))
    path = labsettings.quiet_jupyterlab(tmp_path)
    assert json.loads(path.read_text()) == {
        "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
        "@jupyterlab/apputils-extension:notification": {"doNotDisturbMode": True, "fetchNews": "false",
                                                        "checkForUpdates": False}}
    from jupyterlab_server.settings_utils import _get_overrides  # how JupyterLab reads that folder

    overrides, error = _get_overrides(str(tmp_path))
    assert not error and overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_pytest_never_collects_a_workspace(tmp_path):
    """The repo's pytest settings skip any folder named workspace (a learner's edited lessons and day8/)."""
    for folder in ("workspace", "control"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "test_inside.py").write_text("def test_inside():\n    pass\n")
    r = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                        "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path), str(tmp_path)],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "control/test_inside.py::test_inside" in r.stdout, r.stdout + r.stderr
    assert "workspace/" not in r.stdout


def _make_n(*args: str, user: list[str] | None = None, checkout: Path = ROOT) -> str:
    r = subprocess.run([*(user or []), "make", "-n", "-B", "-C", str(checkout), *args], capture_output=True,
                       text=True, timeout=60, cwd=checkout)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _readable_copy(*names: str) -> Path:
    """A copy of the checkout's files `names` in a new folder another user can read: the checkout itself may sit
    in a folder only its owner can enter (a home folder, `mktemp -d`), and its modes are never changed. The copy
    goes under the temporary folder when every folder above it lets others in, else under /tmp."""
    base = Path(tempfile.gettempdir()).resolve()
    if not all(os.stat(p).st_mode & 0o001 for p in [base, *base.parents]):
        base = Path("/tmp")
    copy = Path(tempfile.mkdtemp(prefix="labkit-readable-", dir=base))
    copy.chmod(0o755)
    for name in names:
        shutil.copyfile(ROOT / name, copy / name)
        (copy / name).chmod(0o644)
    return copy


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_installs_the_runtime_only_and_opens_the_workspace(tmp_path):
    lab = _make_n("lab", f"VENV={tmp_path / 'v'}")
    install = next(line for line in lab.splitlines() if line.endswith(" install --quiet --no-compile -e ."))
    # the venv's own pip, or this machine's serving the venv from outside (then the venv is made without one)
    venv_python = f"{tmp_path / 'v'}/bin/python"
    assert install.startswith(f"{venv_python} -m pip ") or f"-m pip --python {venv_python} " in install
    assert ("--without-pip" in lab) == ("--python" in install) and "[test]" not in lab
    assert f"{tmp_path / 'v'}/bin/labkit workspace --path workspace\n" in lab
    jupyter = next(line for line in lab.splitlines() if "labkit lab " in line)  # JupyterLab, wired (admin/launch.py)
    assert f"{tmp_path / 'v'}/bin/labkit lab --path workspace --" in jupyter
    assert ("--allow-root" in jupyter) == (os.geteuid() == 0)
    assert "-e '.[test]'" in _make_n("test", f"VENV={tmp_path / 'v'}")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None, reason="needs root and runuser")
def test_make_lab_asks_for_allow_root_only_as_root():
    copy = _readable_copy("Makefile", "pyproject.toml")  # what `make lab` reads, where nobody may read it
    try:
        lab = _make_n("lab", f"VENV={copy / 'v'}", user=["runuser", "-u", "nobody", "--"], checkout=copy)
    finally:
        shutil.rmtree(copy)
    jupyter = next(line for line in lab.splitlines() if "labkit lab " in line)
    assert "--allow-root" not in jupyter and jupyter.rstrip().endswith("labkit lab --path workspace --")


def test_binder_opens_the_workspace_it_builds():
    post = (ROOT / "binder" / "postBuild").read_text()
    assert "labkit workspace" in post
    links = [u for u in (ROOT / "README.md").read_text().split("(") if u.startswith("https://mybinder.org/v2/")]
    assert links
    for link in links:
        urlpath = parse_qs(urlsplit(link.split(")")[0]).query)["urlpath"][0]
        assert urlpath.startswith("lab/tree/workspace/"), urlpath
        assert (COURSE / urlpath.removeprefix("lab/tree/workspace/")).is_file()
