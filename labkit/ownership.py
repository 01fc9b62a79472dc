"""Which resources labkit owns, and removing them: always scoped to named sessions, never "everything".

Everything labkit creates carries `labkit.session=<session id>` (and `labkit.lesson`). labkit acts on
a resource only when it carries the label; a clean-up removes only the resources of the sessions it
is given — so a learner's lesson set-up cannot remove the instructor's lab on a shared daemon, and a
graded submission cannot remove a classmate's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from labkit.engines.base import Backend
from labkit.errors import CommandError, EngineError, NotFound

SESSION_LABEL = "labkit.session"
LESSON_LABEL = "labkit.lesson"


def is_owned(obj: dict) -> bool:
    """True when an Engine API object (container, network) carries the labkit.session label."""
    found = obj.get("Labels")
    if found is None:
        found = (obj.get("Config") or {}).get("Labels")
    return SESSION_LABEL in (found or {})


def not_owned_message(kind: str, name: str, fix: str) -> str:
    """The one-line refusal for touching a resource labkit did not create."""
    return (
        f"labkit: {kind} {name} was not created by labkit, so labkit leaves it alone; "
        f"to change it yourself run `{fix}` in a terminal, or pick another name\n"
    )


def _sessions(sessions: str | Collection[str]) -> list[str]:
    names = [sessions] if isinstance(sessions, str) else list(sessions)
    if not names or not all(names):
        raise CommandError("labkit: a clean-up needs the session(s) to clean; name them with --session\n", 2)
    return names


def leftovers(engine: Backend, sessions: str | Collection[str] | None = None) -> tuple[list[dict], list[dict]]:
    """The labelled containers and networks of the given sessions (of every labkit session when None: to look, not to remove)."""
    if sessions is None:
        f = {"label": [SESSION_LABEL]}
        return engine.list_containers(all=True, filters=f), engine.list_networks(filters=f)
    containers: list[dict] = []
    networks: list[dict] = []
    for s in _sessions(sessions):
        f = {"label": [f"{SESSION_LABEL}={s}"]}
        containers += engine.list_containers(all=True, filters=f)
        networks += engine.list_networks(filters=f)
    return containers, networks


def sessions_present(engine: Backend) -> dict[str, int]:
    """Every labkit session with resources on this engine, and how many it has."""
    containers, networks = leftovers(engine)
    out: dict[str, int] = {}
    for obj in containers + networks:
        sid = (obj.get("Labels") or {}).get(SESSION_LABEL, "?")
        out[sid] = out.get(sid, 0) + 1
    return out


def clean(engine: Backend, sessions: str | Collection[str], say: Callable[[str], None] = print) -> int:
    """Remove the given sessions' containers, then their networks; narrate one line each. Count removed."""
    containers, networks = leftovers(engine, _sessions(sessions))
    removed = 0
    for c in containers:
        name = (c.get("Names") or ["/" + c["Id"][:12]])[0].lstrip("/")
        try:
            engine.remove_container(c["Id"], force=True)
            say(f"removed container {name}")
            removed += 1
        except NotFound:
            pass
        except EngineError as err:
            say(f"could not remove container {name}: {err.message}")
    for n in networks:
        try:
            engine.remove_network(n["Id"])
            say(f"removed network {n['Name']}")
            removed += 1
        except NotFound:
            pass
        except EngineError as err:
            say(f"could not remove network {n['Name']}: {err.message}")
    if not removed:
        say("nothing to clean: no labkit containers or networks")
    return removed
