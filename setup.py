"""The one build step pyproject.toml cannot declare: the course travels inside the package.

A wheel (or a non-editable `pip install .`) gets a copy of the checkout's `notebooks/` (the lessons, the cheat sheet
and `assets/`) as `labkit/notebooks/`, where `labkit.coursefiles.course_dir()` finds it once installed. Left out, as
`labkit workspace` leaves them out: hidden names (checkpoints), `__pycache__` and a learner's old `notebooks/day8/`.
An editable install copies nothing: it reads the checkout's `notebooks/` itself. The sdist carries `notebooks/`
(MANIFEST.in), so a wheel built from it gets the same copy. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

COURSE = Path(__file__).resolve().parent / "notebooks"
TARGET = Path("labkit") / "notebooks"  # inside the build's package tree
LEARNER_DIR = "day8"  # a learner's own server, never the course's (labkit.admin.workspace.LEARNER_DIR)


def _left_out(folder: str, names: list[str]) -> list[str]:
    top = Path(folder).resolve() == COURSE
    return [n for n in names if n.startswith(".") or n == "__pycache__" or (top and n == LEARNER_DIR)]


class BuildWithCourse(build_py):
    """build_py, then the course copied into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        if not any(COURSE.glob("*.ipynb")):
            raise SystemExit(f"labkit's build: no course notebooks in {COURSE}")
        target = Path(self.build_lib) / TARGET
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(COURSE, target, ignore=_left_out)


setup(cmdclass={"build_py": BuildWithCourse})
