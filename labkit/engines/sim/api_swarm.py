"""Swarm mode on the embedded engine: a daemon that is not part of a swarm, as dockerd answers when it is not.

dockerd outside a swarm serves the swarm routes and answers them 503 (recorded on Docker 20.10): reading the
swarm, its nodes, services, tasks, secrets or configs says "This node is not a swarm manager…", leaving says
"This node is not part of a swarm" (docker-py's `leave_swarm(force=True)` takes that as done). Joining or making
one is refused in the embedded engine's words: it has no swarm mode.
"""

from __future__ import annotations

from labkit.engines.sim.api_fields import ENGINE
from labkit.engines.sim.api_streams import Exchange
from labkit.errors import BadRequest, EngineError

NOT_A_MANAGER = ('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this '
                 "node to swarm and try again.")


def not_a_manager(h: Exchange, *_parts: str) -> None:
    """GET /swarm, /nodes, /services, /tasks, /secrets, /configs (and their items): 503, as dockerd outside a swarm."""
    raise EngineError(NOT_A_MANAGER, 503)


def leave(h: Exchange) -> None:
    """POST /swarm/leave: 503 "not part of a swarm"."""
    raise EngineError("This node is not part of a swarm", 503)


def refuse(h: Exchange) -> None:
    """POST /swarm/init or /swarm/join: the embedded engine has no swarm mode."""
    raise BadRequest(f"{ENGINE} does not implement swarm mode (docker swarm init/join)")


ROUTES = [
    ("GET", "/swarm", not_a_manager), ("GET", "/swarm/unlockkey", not_a_manager),
    ("POST", "/swarm/leave", leave), ("POST", "/swarm/init", refuse), ("POST", "/swarm/join", refuse),
    *[("GET", f"/{kind}", not_a_manager) for kind in ("nodes", "services", "tasks", "secrets", "configs")],
    *[("GET", f"/{kind}/([^/]+)", not_a_manager) for kind in ("nodes", "services", "tasks", "secrets", "configs")],
]
