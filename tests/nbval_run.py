"""Re-execute every notebook with nbval against its stored outputs, on a scratch copy of notebooks/.

A scratch copy, because lesson 09 writes the learner's own `day8/server.py`: running the tests in a
learner's checkout must never overwrite their work. The notebooks run in a session of their own
(LABKIT_SESSION=nbval-<pid>), so the learner's own lab on the same daemon is left alone, and the lab the
last lesson leaves running is removed afterwards (`labkit clean --session nbval-<pid>`).
Used by `make test` and by bench/course_nbval.py.

    python tests/nbval_run.py [pytest options…]      # exit code: pytest's
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from labkit import coursefiles

ROOT = Path(__file__).resolve().parent.parent


def run(extra: list[str], capture: bool = False) -> subprocess.CompletedProcess:
    """Run nbval over a scratch copy of the course; the lab is cleaned whatever happens."""
    with tempfile.TemporaryDirectory(prefix="labkit-nbval-") as tmp:
        course = Path(tmp) / "notebooks"
        source = coursefiles.course_dir()
        shutil.copytree(source, course, ignore=lambda d, names: [n for n in names if n == ".ipynb_checkpoints"
                                                                 or (Path(d) == source and n == "day8")])
        cmd = [sys.executable, "-m", "pytest", "--nbval", str(course), "--rootdir", str(ROOT),
               "--nbval-sanitize-with", str(ROOT / "tests" / "nbval-sanitize.cfg"), "-p", "no:cacheprovider", *extra]
        env = {**os.environ, "LABKIT_SESSION": f"nbval-{os.getpid()}", "LABKIT_SIM_DIR": str(Path(tmp) / "sim")}
        try:
            return subprocess.run(cmd, cwd=ROOT, capture_output=capture, text=True, env=env)
        finally:
            subprocess.run([sys.executable, "-m", "labkit", "clean", "--session", env["LABKIT_SESSION"]], cwd=ROOT,
                           capture_output=True, env=env)
            subprocess.run([sys.executable, "-m", "labkit", "sim", "stop"], cwd=ROOT, capture_output=True, env=env)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]).returncode)
