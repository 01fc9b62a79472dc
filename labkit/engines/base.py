"""The two protocols every engine implements, and nothing else.

`Backend` is the Engine API as the command contract uses it: each method is one Engine API call,
takes and returns the API's own shapes (the dicts `docker inspect` prints) and raises the errors of
`labkit.errors` (NotFound, Conflict, …) with the daemon's own message. `LabProbe` is what the course
asks of a lab beyond the Engine API — is a server ready, what do its apps listen on, where does "the
host" publish — answered by each engine from what it can see (Docker: the container's
/proc/net/tcp; the embedded engine: its programs' bind reports).

Course code reaches an engine only through these two protocols: no `getattr`, no `name == "sim"`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Protocol

from labkit.errors import EngineError

__all__ = ["Backend", "LabProbe", "Engine", "EngineError"]


class Backend(Protocol):
    """The Engine API calls the command contract needs (docker or the embedded engine)."""

    name: str  # "docker" or "sim": shown to the learner, never branched on

    def version(self) -> dict:
        """GET /version: the engine's version document."""

    def client_info(self) -> dict[str, str]:
        """The client half of `docker version`: labkit, the API version, the address."""

    def list_networks(self, filters: dict | None = None) -> list[dict]:
        """GET /networks (filters as the API takes them, e.g. {"label": ["k=v"]})."""

    def inspect_network(self, name: str) -> dict:
        """GET /networks/{id}; NotFound when there is none."""

    def create_network(self, name: str, driver: str, internal: bool, subnets: list[str],
                       labels: dict[str, str]) -> str:
        """POST /networks/create; the new network's ID. Conflict when the name is taken."""

    def remove_network(self, name: str) -> None:
        """DELETE /networks/{id}; Conflict while containers are attached."""

    def connect_network(self, network: str, container: str, aliases: list[str]) -> None:
        """POST /networks/{id}/connect, with network-scoped DNS aliases."""

    def disconnect_network(self, network: str, container: str, force: bool) -> None:
        """POST /networks/{id}/disconnect."""

    def list_images(self) -> list[dict]:
        """GET /images/json."""

    def inspect_image(self, name: str) -> dict:
        """GET /images/{name}/json; ImageNotFound when the engine does not have it."""

    def build(self, context: BinaryIO, tag: str | None, dockerfile: str, buildargs: dict[str, str],
              labels: dict[str, str]) -> Iterator[dict]:
        """POST /build with a tar context; yields the build's JSON messages ({"stream"}, {"aux"}, {"error"})."""

    def import_image(self, tar_path: str, repository: str, tag: str, changes: list[str]) -> None:
        """POST /images/create?fromSrc=-: import a root filesystem tar with Dockerfile `changes`."""

    def tag_image(self, image: str, tag: str) -> None:
        """POST /images/{name}/tag."""

    def list_containers(self, all: bool = False, filters: dict | None = None) -> list[dict]:
        """GET /containers/json."""

    def inspect_container(self, name: str) -> dict:
        """GET /containers/{id}/json; NotFound when there is none."""

    def create_container(self, **kwargs) -> str:
        """POST /containers/create; the new container's ID (image, command, name, env, networking, ports, labels)."""

    def start(self, cid: str) -> None:
        """POST /containers/{id}/start."""

    def stop(self, cid: str, timeout: int | None = None) -> None:
        """POST /containers/{id}/stop (SIGTERM, then SIGKILL after timeout seconds)."""

    def restart(self, cid: str, timeout: int | None = None) -> None:
        """POST /containers/{id}/restart."""

    def remove_container(self, cid: str, force: bool = False) -> None:
        """DELETE /containers/{id}; Conflict for a running container unless force."""

    def wait(self, cid: str) -> int:
        """POST /containers/{id}/wait: block until it exits; its exit code."""

    def logs(self, cid: str) -> tuple[str, str]:
        """GET /containers/{id}/logs: (stdout, stderr) so far."""

    def exec_run(self, cid: str, cmd: list[str], tty: bool, env: list[str], detach: bool = False
                 ) -> tuple[int, str, str]:
        """POST /containers/{id}/exec then /exec/{id}/start: (exit code, stdout, stderr)."""

    def log_frames(self, cid: str, *, tail: str = "all", since: str | None = None, until: str | None = None,
                   timestamps: bool = False, follow: bool = False, tty: bool = False) -> Iterator[tuple[int, bytes]]:
        """GET /containers/{id}/logs with its options: (stream, bytes) pieces, 1 stdout / 2 stderr, in the
        engine's order; with follow, until the container stops."""

    def kill(self, cid: str, signal: str | None = None) -> None:
        """POST /containers/{id}/kill?signal=S (SIGKILL when None); Conflict when it is not running."""

    def rename(self, cid: str, name: str) -> None:
        """POST /containers/{id}/rename?name=NAME; Conflict when NAME is taken."""

    def top(self, cid: str, ps_args: str | None = None) -> dict:
        """GET /containers/{id}/top: {"Titles": [...], "Processes": [[...], ...]}."""

    def pause(self, cid: str) -> None:
        """POST /containers/{id}/pause (the cgroup freezer; the embedded engine: SIGSTOP)."""

    def unpause(self, cid: str) -> None:
        """POST /containers/{id}/unpause."""

    def info(self) -> dict:
        """GET /info: the daemon's system-wide document."""

    def prune_containers(self, filters: dict | None = None) -> dict:
        """POST /containers/prune: {"ContainersDeleted": [ids] or None, "SpaceReclaimed": bytes}."""

    def prune_networks(self, filters: dict | None = None) -> dict:
        """POST /networks/prune: {"NetworksDeleted": [names] or None}."""

    def pull(self, repository: str, tag: str) -> Iterator[dict]:
        """POST /images/create?fromImage=R&tag=T: the pull's JSON progress messages (an offline daemon: an error)."""


class LabProbe(Protocol):
    """What the course asks of a lab beyond the Engine API."""

    host_address: str | None  # where "the host" publishes ports when it is not this machine's localhost

    def wait_ready(self, cid: str, deadline_s: float = ...) -> None:
        """Return once the container's program listens, has exited, or is evidently not a server."""

    def listeners(self, cid: str) -> list[tuple[str, int]]:
        """(address, port) of every listening TCP socket in the container's network namespace.

        Raises EngineError when the engine cannot tell: an unknown is never reported as "nothing".
        """


class Engine(Backend, LabProbe, Protocol):
    """An engine as labkit uses it: the Engine API plus the course's probes."""
