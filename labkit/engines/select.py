"""Which engine a session uses: LABKIT_ENGINE=auto|docker|sim, and the one-line reason shown to the learner.

auto picks Docker when a daemon answers a ping within 2 s, and the embedded engine otherwise; a daemon
that is there but cannot be spoken to (TLS, a broken configuration) is named as such, never as "no
daemon answered".
"""

from __future__ import annotations

import os

from labkit.engines.base import Engine
from labkit.errors import CommandError

ENGINES = ("auto", "docker", "sim")
# the one list of what the embedded engine does differently from Docker (each one a runnable experiment)
DIVERGENCES = "tests/conformance/test_divergences.py in the course's repository"


def requested(value: str | None = None) -> str:
    """The engine asked for (argument, else LABKIT_ENGINE, else auto); a one-line error for anything else."""
    value = (value or os.environ.get("LABKIT_ENGINE") or "auto").strip().lower()
    if value not in ENGINES:
        raise CommandError(f"labkit: LABKIT_ENGINE={value!r} is not an engine; use auto, docker or sim\n", 1)
    return value


def embedded() -> tuple[Engine, str]:
    """The embedded engine: the daemon at LABKIT_SIM_SOCKET (a grader's, private), else the user's own
    `labkit sim` daemon, started on first use; with where it is, in a few words."""
    from labkit.engines.embedded import EmbeddedEngine, user_engine

    private = os.environ.get("LABKIT_SIM_SOCKET")
    if private:
        return EmbeddedEngine(private, restart=False), f"a private embedded engine at unix://{private}"
    engine, note = user_engine()
    engine.version()  # connect now (the SDK, the API version): the learner's first command costs what the next does
    return engine, "labkit's embedded engine " + note.removeprefix("labkit sim: ")


def choose(name: str | None = None) -> tuple[Engine, str]:
    """Pick the engine (docker, sim or auto) and return it with a one-line reason."""
    from labkit.engines.docker.connect import ping

    name = requested(name)
    if name == "sim":
        engine, where = embedded()
        return engine, f"sim (asked for by LABKIT_ENGINE=sim: {where}; {_differs()})"
    from labkit.engines.docker.engine import DockerEngine

    if name == "docker":
        return DockerEngine(), "docker (asked for by LABKIT_ENGINE=docker)"
    answer = ping(2.0)
    if answer.ok:
        return DockerEngine(), f"docker (a daemon answered at {answer.address})"
    engine, where = embedded()
    if answer.problem:
        return engine, f"sim (Docker at {answer.address} could not be used: {answer.problem}; {where}; {_differs()})"
    return engine, f"sim (no Docker daemon answered at {answer.address} within 2 s; {where}; {_differs()})"


def _differs() -> str:
    """Where the learner reads how the embedded engine differs from Docker."""
    return f"where it differs from Docker: {DIVERGENCES}"
