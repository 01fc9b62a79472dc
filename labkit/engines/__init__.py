"""Engines behind the command contract, and the choice between them (LABKIT_ENGINE)."""

from __future__ import annotations

import os

from labkit.contract.result import CommandError

_current = None
_reason = ""


def requested() -> str:
    """The engine asked for by LABKIT_ENGINE: auto (default), docker or sim."""
    value = (os.environ.get("LABKIT_ENGINE") or "auto").strip().lower()
    if value not in ("auto", "docker", "sim"):
        raise CommandError(f"labkit: LABKIT_ENGINE={value!r} is not an engine; use auto, docker or sim\n", 1)
    return value


_sim = None


def sim_engine():
    """The embedded engine of this process (created on first use)."""
    global _sim
    if _sim is None:
        from labkit.engines.sim.engine import SimEngine

        _sim = SimEngine()
    return _sim


def choose(name: str | None = None):
    """Pick the engine (docker, sim or auto) and return it with a one-line reason."""
    from labkit.engines.docker.connect import ping

    name = name or requested()
    shared = os.environ.get("LABKIT_SIM_SOCKET")
    if name == "sim" and shared:
        from labkit.engines.sim.server import RemoteSim

        return RemoteSim(shared), "sim (a shared embedded engine at LABKIT_SIM_SOCKET)"
    if name == "sim":
        return sim_engine(), "sim (asked for by LABKIT_ENGINE=sim)"
    from labkit.engines.docker.engine import DockerEngine

    if name == "docker":
        return DockerEngine(), "docker (asked for by LABKIT_ENGINE=docker)"
    ok, address = ping(2.0)
    if ok:
        return DockerEngine(), f"docker (a daemon answered at {address})"
    return sim_engine(), f"sim (no Docker daemon answered at {address} within 2 s)"


def current():
    """The engine of this process, chosen once."""
    global _current, _reason
    if _current is None:
        _current, _reason = choose()
    return _current


def reason() -> str:
    """Why the current engine was chosen, in one line."""
    current()
    return f"labkit engine: {_reason}"


def reset() -> None:
    """Forget the chosen engine (tests, or after LABKIT_ENGINE changed)."""
    global _current, _reason
    _current, _reason = None, ""
