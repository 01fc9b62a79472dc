"""The engines labkit can run on, one line each: what a kind is called, what it is, and how to make it.

The CLI's `--engine` choices, LABKIT_ENGINE's values, the grader and the test fixtures all read their
choices here, so an engine is one folder under labkit/engines/ and one line in KINDS (Podman was added so).

A kind's `factory` is named as "module:function" and imported only when an engine of that kind is made:
reading the choices (the CLI's parser, LABKIT_ENGINE's check) costs no Engine API client and no daemon.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labkit.errors import CommandError

if TYPE_CHECKING:
    from labkit.engines.base import Engine


@dataclass(frozen=True)
class EngineKind:
    """One kind of engine.

    private_daemon: True when the grader starts a private daemon of this kind for each lab (the sim);
    False when every lab shares the one daemon there is (docker): grading on it needs --trust-submissions and
    runs one submission at a time. factory: "module:function" making the learner's engine (see make).
    """

    name: str
    summary: str
    private_daemon: bool
    factory: str

    def make(self) -> tuple[Engine, str]:
        """The learner's engine of this kind, and a few words on where it is and what to know about it
        ("" when there is nothing to add); a one-line CommandError when it cannot be made."""
        module, _, function = self.factory.partition(":")
        return getattr(importlib.import_module(module), function)()


KINDS: tuple[EngineKind, ...] = (
    EngineKind("docker", "a Docker Engine: the daemon DOCKER_HOST or the docker context names", False,
               "labkit.engines.docker.learner:learner_engine"),
    EngineKind("sim", "labkit's embedded engine: a daemon of labkit's own serving the Engine API on a unix socket",
               True, "labkit.engines.simclient:learner_engine"),
    EngineKind("podman", "a Podman service (`podman system service`) through its Docker-compatible API", False,
               "labkit.engines.podman.learner:learner_engine"),
)


def kinds() -> tuple[EngineKind, ...]:
    """Every engine kind, in the order choices are shown."""
    return KINDS


def names() -> tuple[str, ...]:
    """The kinds' names ("docker", "sim", "podman"), in the order choices are shown."""
    return tuple(k.name for k in KINDS)


def isolated_first() -> tuple[EngineKind, ...]:
    """The kinds with a private daemon first, in the order choices are shown otherwise: the first is what the
    grader uses by default (each submission's lab on a daemon of its own)."""
    return tuple(sorted(KINDS, key=lambda k: not k.private_daemon))


def spoken(words: list[str]) -> str:
    """Alternatives as a person reads them: "a", "a or b", "a, b or c"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def choices(extra: tuple[str, ...] = ()) -> str:
    """The names as a person reads them: "docker, sim or podman" ("auto, docker, sim or podman" with extra=("auto",))."""
    return spoken([*extra, *names()])


def kind(name: str) -> EngineKind:
    """The kind called name; a one-line CommandError naming the choices for anything else."""
    for k in KINDS:
        if k.name == name:
            return k
    raise CommandError(f"labkit: {name!r} is not an engine; use {choices()}\n", 2)
