"""Which engines a submission can be graded on, read from the engine registry (labkit.engines.registry): the one
place grading asks what an engine is.

An engine with a private daemon (the embedded engine) gives every submission a daemon of its own, in a lab box;
one with a shared daemon (Docker) has every submission use the one daemon of this machine: its socket is root
here (so only with --trust-submissions), and its names are shared (so one submission at a time).
"""

from __future__ import annotations

from labkit.engines import registry
from labkit.engines.registry import EngineKind
from labkit.errors import CommandError


def graders() -> list[EngineKind]:
    """The kinds a class can be graded on, isolated (private daemon) first: the first is the default."""
    return sorted(registry.kinds(), key=lambda k: not k.private_daemon)


def kind(name: str) -> EngineKind:
    """The engine kind called name; an unknown name is a one-line error naming the choices."""
    if name not in registry.names():
        choices = [f"{k.name} (the default)" if i == 0 else k.name for i, k in enumerate(graders())]
        raise CommandError(f"labkit grade: unknown engine {name!r}; use {registry.spoken(choices)}\n", 2)
    return registry.kind(name)


def private_daemon(name: str) -> bool:
    """True when grading on engine `name` starts a private daemon per submission, False when every submission
    shares the one daemon of its kind; an unknown name is a one-line error."""
    return kind(name).private_daemon
