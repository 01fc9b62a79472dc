"""`labkit clean`: remove what labkit created (containers first, then networks), nothing else."""

from __future__ import annotations

from collections.abc import Callable

from labkit.engines.base import ApiError, Backend
from labkit.ownership import SESSION_LABEL


def leftovers(engine: Backend, session: str | None = None) -> tuple[list[dict], list[dict]]:
    """The labelled containers and networks in the engine (of one session, if given)."""
    f = {"label": [f"{SESSION_LABEL}={session}" if session else SESSION_LABEL]}
    return engine.list_containers(all=True, filters=f), engine.list_networks(filters=f)


def clean(engine: Backend, say: Callable[[str], None] = print, session: str | None = None) -> int:
    """Remove every labkit-labelled container, then network; narrate one line each. Count removed."""
    containers, networks = leftovers(engine, session)
    removed = 0
    for c in containers:
        name = (c.get("Names") or ["/" + c["Id"][:12]])[0].lstrip("/")
        try:
            engine.remove_container(c["Id"], force=True)
            say(f"removed container {name}")
            removed += 1
        except ApiError as err:
            if err.status != 404:
                say(f"could not remove container {name}: {err.message}")
    for n in networks:
        try:
            engine.remove_network(n["Id"])
            say(f"removed network {n['Name']}")
            removed += 1
        except ApiError as err:
            if err.status != 404:
                say(f"could not remove network {n['Name']}: {err.message}")
    if not removed:
        say("nothing to clean: no labkit containers or networks")
    return removed
