"""A fresh venv with only the built wheel runs the course, from a read-only shared environment, as a learner: the
sdist and the wheel carry the course, `labkit workspace` writes only the learner's folders, and a lesson run from the
workspace on the embedded engine shows the stored outputs (tests/packaging/wheel.py; about a minute with a warm pip
cache, most of it pip installing the wheel's dependencies from the package index)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.packaging import wheel


def _index_answers() -> bool:
    """True when pip's package index answers (the wheel's dependencies come from it). Asked with the base Python's
    pip, the one the fresh venv gets: `make`'s venv may have none of its own."""
    base = getattr(sys, "_base_executable", sys.executable)
    r = subprocess.run([base, "-m", "pip", "index", "versions", "setuptools"], capture_output=True, text=True,
                       timeout=120)
    return r.returncode == 0


@pytest.mark.sim_pass
def test_a_wheel_alone_runs_a_lesson_from_a_read_only_environment():
    pytest.importorskip("build", reason="the build package is not installed (pip install -e '.[test]')")
    if not _index_answers():
        pytest.skip("pip's package index does not answer: the wheel's dependencies cannot be installed")
    wheel.check(lesson="05")
