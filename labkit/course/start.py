"""Bring the lab to the state a lesson starts from, idempotently, and say so.

Every notebook's first cell calls `labkit.lesson("05")`. It removes what labkit created, builds what the lesson's
plan names (labkit.course.lessons: the `day8` image with the server as it is at that point of the story, the
`day8-net` network, the `server` and `client` containers, and whatever the lesson's own set-up adds) and prints the
same lines every time, so Run All twice gives the same outputs. The network gets a fixed subnet and the containers
start in a fixed order, so their addresses are the same in every run, on every engine (labkit.course.addressing).
The learner's own copy of the server (`day8/`) is created once and never overwritten: nothing the learner wrote is
lost.
"""

from __future__ import annotations

from labkit import ownership, session
from labkit.course import addressing, catalog
from labkit.course.labbuild import (
    CLIENT_IMAGE,
    IMAGE,
    LOOPBACK_TAG,
    NETWORK,
    WORKDIR,
    build_image,
    docker,
    ensure_workdir,
)
from labkit.errors import CommandError

# What the set-up says of the day8 image it built: which version of the server, never how it behaves (where the
# server listens is what lessons 05-08 find out; the set-up is printed before every question of a lesson).
SERVER_AS = {"loopback": "the server as the notes first wrote it (assets/day8)",
             "fixed": "the server as step 09 leaves it (assets/day8, edited)"}


def reset(say=None) -> None:
    """Remove everything this session created (containers, then networks); other sessions' labs stay."""
    me = session.current()
    ownership.clean(me.engine(), me.id, say=say or (lambda _line: None))


def lesson(step: str | int, quiet: bool = False) -> None:
    """Bring the lab to the state lesson `step` starts from (idempotent) and print what is there."""
    key = catalog.key_of(step)
    found = catalog.get(key)
    if found is None:
        raise CommandError(f"labkit: there is no lesson {step!r}; lessons are {catalog.span()}\n", 1)
    plan = found.plan
    me = session.current()
    me.engine()
    me.start_lesson(key, [e.id for e in found.exercises])
    reset()
    lines = [f"Lesson {key} · {found.title} — the lab is ready:"]
    if plan.image:
        build_image(plan.image)
        lines.append(f"  image      {IMAGE:<14} {SERVER_AS[plan.image]}")
    if plan.loopback_image:
        build_image("loopback", LOOPBACK_TAG)
        lines.append(f"  image      {LOOPBACK_TAG:<14} the server as the notes first wrote it, under its own tag")
    if plan.network:
        addressing.create(NETWORK)
        lines.append(f"  network    {NETWORK:<14} subnet {addressing.subnet_of(NETWORK)}, given by the set-up: "
                     "the same addresses every run")
    if plan.server:
        docker(f"run -d --name server --network {NETWORK} {IMAGE}")
        lines.append(f"  container  server         started from {IMAGE} on {NETWORK}, no published ports")
    if plan.client:
        docker(f"run -d --name client --network {NETWORK} {CLIENT_IMAGE} sleep infinity")
        lines.append(f"  container  client         {CLIENT_IMAGE} on {NETWORK}, idle: we `docker exec` into it")
    if found.setup is not None:
        lines += found.setup(docker)
    if len(lines) == 1:
        lines.append("  nothing: no labkit networks or containers")
    if plan.workdir:
        ensure_workdir()
        lines.append(f"  your copy  {str(WORKDIR) + '/':<14} the server folder you edit (kept between runs)")
    if not quiet:
        print("\n".join(lines))
