"""Which engine a session uses: LABKIT_ENGINE=auto or a kind's name (labkit.engines.registry), and the
one-line reason shown to the learner.

auto picks the daemon that answers a ping within 2 s — Podman when its /version names a Podman Engine, Docker
otherwise — and the sim (labkit's embedded engine) when none answers;
a daemon that is there but cannot be spoken to (TLS, a broken configuration) is named as such, never as
"no daemon answered".
"""

from __future__ import annotations

import os

from labkit.engines import registry
from labkit.engines.base import Engine
from labkit.errors import CommandError

AUTO = "auto"
ENGINES = (AUTO, *registry.names())


def requested(value: str | None = None) -> str:
    """The engine asked for (argument, else LABKIT_ENGINE, else auto); a one-line error for anything else."""
    value = (value or os.environ.get("LABKIT_ENGINE") or AUTO).strip().lower()
    if value not in ENGINES:
        raise CommandError(f"labkit: LABKIT_ENGINE={value!r} is not an engine; use {registry.choices((AUTO,))}\n", 1)
    return value


def _podman_version(engine: Engine) -> str | None:
    """Podman's version when the daemon that answered is Podman, else None (also when /version cannot be read)."""
    from labkit.engines.podman.detect import podman_version
    from labkit.errors import LabkitError

    try:
        return podman_version(engine.version())
    except LabkitError:
        return None


def choose(name: str | None = None) -> tuple[Engine, str]:
    """Pick the engine (auto or a kind's name) and return it with a one-line reason."""
    from labkit.engines.apiclient.connect import ping

    name = requested(name)
    if name != AUTO:
        engine, note = registry.kind(name).make()
        return engine, f"{name} (asked for by LABKIT_ENGINE={name}{': ' + note if note else ''})"
    answer = ping(2.0)
    if answer.ok:
        engine, _ = registry.kind("docker").make()
        podman = _podman_version(engine)
        if podman is not None:
            engine, _ = registry.kind("podman").make()
            return engine, f"podman (Podman {podman} answered at {answer.address})"
        return engine, f"docker (a daemon answered at {answer.address})"
    engine, note = registry.kind("sim").make()
    if answer.problem:
        return engine, f"sim (Docker at {answer.address} could not be used: {answer.problem}; {note})"
    return engine, f"sim (no Docker daemon answered at {answer.address} within 2 s; {note})"
