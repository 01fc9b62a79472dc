"""The ways an instructor runs `labkit grade`, for tests that must hold in each: as root and as an ordinary user on
bubblewrap, and as root with `--sandbox container` where this machine's Docker daemon answers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.grading.run import grade
from tests.grading.corpus import jobs_under

ROOT = Path(__file__).resolve().parents[2]


def modes() -> list[str]:
    """root-bwrap, user-bwrap and root-container, as far as this machine allows."""
    found = ["user-bwrap"]
    if os.getuid() == 0:
        found.insert(0, "root-bwrap")
        if shutil.which("docker") and subprocess.run(["docker", "info"], capture_output=True).returncode == 0:
            found.append("root-container")
    return found


def grade_in(mode: str, items: list[str], out: Path, jobs: Path, hidden: list[str] | None = None) -> list[dict]:
    """Grade as the mode says, two at a time, with the job folders under jobs; the results as results.json has them.
    As root, the ordinary user is one of a user namespace of its own (uid 1000, no capability outside it)."""
    if mode.startswith("root-"):
        with jobs_under(jobs):
            grade(items, str(out), jobs=2, timeout=120, cell_timeout=30, say=lambda s: None, hidden=hidden or [],
                  sandbox_name=mode.split("-")[1])
    else:
        if os.getuid() == 0 and shutil.which("unshare") is None:
            pytest.skip("no unshare(1) to grade as an ordinary user")
        prefix = ["unshare", "--user", "--map-user=1000", "--map-group=1000"] if os.getuid() == 0 else []
        extra = [a for h in hidden or [] for a in ("--hidden", h)]
        proc = subprocess.run([*prefix, sys.executable, "-m", "labkit", "grade", *items, "--out", str(out), "--jobs",
                               "2", "--timeout", "120", "--cell-timeout", "30", *extra],
                              capture_output=True, text=True, cwd=str(ROOT), env=dict(os.environ, TMPDIR=str(jobs)))
        assert proc.returncode == 0, proc.stderr
    return json.loads((out / "results.json").read_text())["submissions"]
