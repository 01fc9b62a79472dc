"""What a lesson's set-up builds from: the course's server folder, the `day8` image (as in the notes or fixed),
the learner's own copy of the server, and the one way set-up runs a docker command (stopping at the first failure).

labkit.course.start brings a lesson's lab up with these; a lesson module whose lab needs more (lesson 15's fault)
builds it with them too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from labkit.contract.transcript import run_line
from labkit.courseimages import CURL_IMAGE
from labkit.errors import CommandError

NETWORK = "day8-net"
IMAGE = "day8"
LOOPBACK_TAG = "day8:loopback"
CLIENT_IMAGE = CURL_IMAGE
ASSETS = Path("assets") / "day8"
WORKDIR = Path("day8")
LOOPBACK_BIND = '("127.0.0.1", 3000)'
ALL_BIND = '("0.0.0.0", 3000)'


def docker(line: str) -> None:
    """Run one docker command of a set-up; a failure stops the set-up with one line saying where."""
    result = run_line("docker " + line)
    if result.exit_code != 0:
        raise CommandError(f"labkit: preparing the lab failed at `docker {line}`: "
                           f"{(result.stderr.strip().splitlines() or ['no message'])[-1]}\n", 1)


def assets_dir() -> Path:
    """The course's pristine server folder (notebooks/assets/day8), found from the notebook's folder."""
    if not (ASSETS / "server.py").is_file():
        raise CommandError(f"labkit: {ASSETS}/server.py is not here; open the notebooks from the course's "
                           "notebooks/ folder (the one with assets/ in it)\n", 1)
    return ASSETS


def fixed_source(text: str) -> str:
    """The server's source with its bind address changed from 127.0.0.1 to 0.0.0.0 (the fix of step 9)."""
    return text.replace(LOOPBACK_BIND, ALL_BIND)


def build_image(kind: str, tag: str = IMAGE) -> None:
    """Build the day8 image from the pristine server, as-is ("loopback") or with the fix ("fixed")."""
    if kind == "loopback":
        docker(f"build -t {tag} {assets_dir()}")
        return
    build_variant(fixed_source, tag)


def build_variant(change, tag: str) -> None:
    """Build the pristine server folder with its server.py changed by `change` (text -> text), tagged `tag`."""
    src = assets_dir()
    with tempfile.TemporaryDirectory(prefix="labkit-day8-") as tmp:
        for item in src.iterdir():
            if item.is_file():
                shutil.copy2(item, tmp)
        server = Path(tmp) / "server.py"
        server.write_text(change(server.read_text(encoding="utf-8")), encoding="utf-8")
        os.utime(server, (0, 0))
        docker(f"build -t {tag} {tmp}")


def ensure_workdir() -> Path:
    """The learner's own copy of the server folder (day8/), created from the assets when missing, never overwritten."""
    if not (WORKDIR / "server.py").exists():
        WORKDIR.mkdir(exist_ok=True)
        for item in assets_dir().iterdir():
            target = WORKDIR / item.name
            if item.is_file() and not target.exists():
                shutil.copy2(item, target)
    return WORKDIR
