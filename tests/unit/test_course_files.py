"""Where labkit finds its course (labkit.coursefiles): the checkout's notebooks/ here, the copy a wheel put inside the
package once installed; a workspace made from a read-only installed course is the learner's to edit, and the
installed package is never written to. (.ci/run's wheel check builds, installs and runs a real wheel.)"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from labkit import coursefiles
from labkit.admin import workspace
from labkit.errors import CommandError
from labkit.grading import handin, run

ROOT = Path(__file__).resolve().parents[2]


def _tree(path: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under `path` with its mode and modification time (what a write would change)."""
    return {str(p.relative_to(path)): (p.stat().st_mode, p.stat().st_mtime_ns) for p in [path, *path.rglob("*")]}


@pytest.fixture
def installed_course(tmp_path, monkeypatch) -> Path:
    """A course laid out as a wheel installs it (labkit/notebooks/), read-only as a shared environment is."""
    course = tmp_path / "site-packages" / "labkit" / "notebooks"
    source = coursefiles.CHECKOUT / "notebooks"
    shutil.copytree(source, course, ignore=lambda d, names: [n for n in names if n.startswith(".") or n == "__pycache__"
                                                             or (Path(d) == source and n == "day8")])
    monkeypatch.setattr(coursefiles, "INSTALLED", course)
    for p in [course, *course.rglob("*")]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    yield course
    for p in [course, *course.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_a_checkout_uses_its_own_notebooks():
    assert not coursefiles.installed()
    assert coursefiles.course_dir() == ROOT / "notebooks" == workspace.COURSE == handin.COURSE
    assert coursefiles.assets_dir() == ROOT / "notebooks" / "assets" == run.ASSETS
    assert (coursefiles.assets_dir() / "day8" / "server.py").is_file()
    assert workspace.default_workspace() == ROOT / "workspace"


def test_an_installed_course_is_found_and_the_workspace_goes_to_the_current_folder(installed_course, tmp_path,
                                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert coursefiles.installed() and coursefiles.course_dir() == installed_course
    assert coursefiles.assets_dir() == installed_course / "assets"
    assert workspace.default_workspace() == tmp_path / "workspace"


def test_a_workspace_from_a_read_only_course_is_the_learners_and_the_course_is_untouched(installed_course, tmp_path,
                                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = _tree(installed_course)
    report = workspace.ensure(course=coursefiles.course_dir())
    ws = tmp_path / "workspace"
    assert report.path == ws and report.created
    assert sorted(p.name for p in ws.glob("*.ipynb")) == sorted(p.name for p in installed_course.glob("*.ipynb"))
    assert (ws / "assets" / "day8" / "server.py").read_bytes() == (installed_course / "assets/day8/server.py").read_bytes()
    for p in [ws, *ws.rglob("*")]:
        assert p.stat().st_mode & stat.S_IWUSR, f"{p.relative_to(tmp_path)} is not writable by the learner"
    assert _tree(installed_course) == before
    (ws / "assets" / "day8" / "extra.txt").write_text("a folder the learner may write in\n")
    said = workspace.fresh("01", course=coursefiles.course_dir())
    assert any("a fresh copy" in line for line in said) and _tree(installed_course) == before


def test_the_course_is_never_a_workspace_even_when_installed(installed_course):
    with pytest.raises(CommandError, match="inside the course folder"):
        workspace.ensure(installed_course / "workspace", coursefiles.course_dir())
