"""Where the course is: the released lesson notebooks and their `assets/`, for everything that copies from them.

In a source checkout (and an editable install, `pip install -e .`) the course is the checkout's `notebooks/`. A
wheel carries a copy of it inside the package, `labkit/notebooks/` (setup.py's build step puts it there), so an
installed labkit finds its course with no checkout at all: `labkit workspace`, the grader's assets and the nbgrader
export all ask `course_dir()`, and so do the tests and benchmarks.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
INSTALLED = PACKAGE / "notebooks"  # the wheel's copy (made at build time from the checkout's notebooks/)
CHECKOUT = PACKAGE.parent  # the source checkout, when labkit runs from one
ASSETS = "assets"


def installed() -> bool:
    """True when labkit runs from an installed wheel that carries its course (not from a source checkout)."""
    return INSTALLED.is_dir()


def course_dir() -> Path:
    """The course's folder: the copy installed with labkit, else the source checkout's notebooks/."""
    return INSTALLED if installed() else CHECKOUT / "notebooks"


def assets_dir() -> Path:
    """The course's assets folder (day8's Dockerfile and server, the shop's compose file …)."""
    return course_dir() / ASSETS
