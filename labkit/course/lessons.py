"""Bring the lab to the state a lesson starts from, idempotently, and say so.

Every notebook's first cell calls `labkit.lesson("05")`. It removes what labkit created, builds
what the step needs (the `day8` image with the server as it is at that point of the story, the
`day8-net` network, the `server` and `client` containers) and prints the same lines every time,
so Run All twice gives the same outputs. The network gets a fixed subnet and the containers start in a
fixed order, so their addresses are the same in every run, on every engine (labkit.course.addressing).
The learner's own copy of the server (`day8/`) is created once and never overwritten: nothing the learner
wrote is lost.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from labkit import ownership, session
from labkit.contract.transcript import run_line
from labkit.course import addressing
from labkit.errors import CommandError
from labkit.images import CURL_IMAGE

NETWORK = "day8-net"
IMAGE = "day8"
LOOPBACK_TAG = "day8:loopback"
CLIENT_IMAGE = CURL_IMAGE
ASSETS = Path("assets") / "day8"
WORKDIR = Path("day8")
LOOPBACK_BIND = '("127.0.0.1", 3000)'
ALL_BIND = '("0.0.0.0", 3000)'

LESSONS = {
    "00": "Start here", "01": "Explicit network creation", "02": "The server container, internal only",
    "03": "The network-name mismatch", "04": "The client container", "05": "Container to container by name",
    "06": "localhost fails between containers", "07": "Reachable but refusing", "08": "The root cause: 127.0.0.1",
    "09": "The fix: bind to 0.0.0.0", "10": "Inspecting the network", "11": "Ports are only for the host",
    "12": "Mapping to Docker Compose", "13": "Mapping to Kubernetes", "14": "The seven mental locks",
    "15": "Troubleshooting: one hidden fault",
}


@dataclass(frozen=True)
class Plan:
    """What a lesson starts with."""

    image: str | None  # "loopback" (the server as in the notes), "fixed" (bound to 0.0.0.0) or None
    network: bool
    server: bool
    client: bool


PLANS = {
    "00": Plan(None, False, False, False),
    "01": Plan("loopback", False, False, False),
    "02": Plan("loopback", True, False, False),
    "03": Plan("loopback", True, True, False),
    "04": Plan("loopback", True, True, False),
    "05": Plan("loopback", True, True, True),
    "06": Plan("loopback", True, True, True),
    "07": Plan("loopback", True, True, True),
    "08": Plan("loopback", True, True, True),
    "09": Plan("loopback", True, True, True),
    "10": Plan("fixed", True, True, True),
    "11": Plan("fixed", True, True, True),
    "12": Plan("fixed", False, False, False),
    "13": Plan("fixed", True, True, True),
    "14": Plan("fixed", True, True, True),
    "15": Plan("fixed", True, False, False),  # server and client come from labkit.course.faults, with the fault
}


def _docker(line: str) -> None:
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
        _docker(f"build -t {tag} {assets_dir()}")
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
        _docker(f"build -t {tag} {tmp}")


def ensure_workdir() -> Path:
    """The learner's own copy of the server folder (day8/), created from the assets when missing, never overwritten."""
    if not (WORKDIR / "server.py").exists():
        WORKDIR.mkdir(exist_ok=True)
        for item in assets_dir().iterdir():
            target = WORKDIR / item.name
            if item.is_file() and not target.exists():
                shutil.copy2(item, target)
    return WORKDIR


def reset(say=None) -> None:
    """Remove everything this session created (containers, then networks); other sessions' labs stay."""
    me = session.current()
    ownership.clean(me.engine(), me.id, say=say or (lambda _line: None))


def lesson(step: str | int, quiet: bool = False) -> None:
    """Bring the lab to the state lesson `step` starts from (idempotent) and print what is there."""
    from labkit.course.exercises import for_lesson

    key = f"{int(step):02d}" if str(step).isdigit() else str(step)
    if key not in PLANS:
        raise CommandError(f"labkit: there is no lesson {step!r}; lessons are 00 to 15\n", 1)
    plan = PLANS[key]
    me = session.current()
    me.engine()
    me.start_lesson(key, [e.id for e in for_lesson(key)])
    reset()
    lines = [f"Lesson {key} · {LESSONS[key]} — the lab is ready:"]
    if plan.image:
        build_image(plan.image)
        how = "127.0.0.1 (as in the notes at this point)" if plan.image == "loopback" else "0.0.0.0 (fixed in step 09)"
        lines.append(f"  image      {IMAGE:<14} its server.py binds {how}")
    if key == "11":
        build_image("loopback", LOOPBACK_TAG)
        lines.append(f"  image      {LOOPBACK_TAG:<14} the original server, still bound to 127.0.0.1")
    if plan.network:
        addressing.create(NETWORK)
        lines.append(f"  network    {NETWORK:<14} subnet {addressing.subnet_of(NETWORK)}, given by the set-up: "
                     "the same addresses every run")
    if plan.server:
        _docker(f"run -d --name server --network {NETWORK} {IMAGE}")
        lines.append(f"  container  server         running {IMAGE} on {NETWORK}, no published ports")
    if plan.client:
        _docker(f"run -d --name client --network {NETWORK} {CLIENT_IMAGE} sleep infinity")
        lines.append(f"  container  client         {CLIENT_IMAGE} on {NETWORK}, idle: we `docker exec` into it")
    if key == "15":
        from labkit.course import faults

        lines += faults.setup(_docker)
    if len(lines) == 1:
        lines.append("  nothing: no labkit networks or containers")
    if key in ("09", "15"):
        ensure_workdir()
        lines.append(f"  your copy  {str(WORKDIR) + '/':<14} the server folder you edit (kept between runs)")
    if not quiet:
        print("\n".join(lines))
