"""The sim as labkit reaches it: the Engine API client (labkit.engines.apiclient) pointed at a sim daemon's socket.

"sim" is the engine's name in code and settings (LABKIT_ENGINE=sim, `labkit sim`, labkit.engines.sim: the
daemon); "labkit's embedded engine" is what learners read it is. There is one client for both daemons
(DockerEngine over docker-py); EmbeddedEngine, the sim's client, only names the engine "sim", learns where
its simulated host publishes ports (a private daemon's own loopback address, from its /info labels), asks the
daemon (never this machine's /proc) what its containers listen on, and turns a daemon that stopped answering
into a one-line message that says the lab was lost — after starting a new daemon, so the next command works.

learner_engine makes the sim kind's engine (labkit.engines.registry): the daemon at LABKIT_SIM_SOCKET (a
grader's, private), else the user's own `labkit sim` daemon, started on first use.
"""

from __future__ import annotations

import os
import sys

from labkit.engines import readiness
from labkit.engines.apiclient.engine import DockerEngine
from labkit.engines.sim import daemon
from labkit.errors import CommandError, LabkitError, NotFound

HOST_LABEL = "labkit.host_address="
# the learner's page of what the embedded engine does differently from Docker and what it refuses: the course's
# notebooks/differences.md, copied into every workspace (tests/course/test_differences_page.py holds it to
# tests/conformance/test_divergences.py, the runnable experiments, and to the engine's refusals)
DIVERGENCES = "differences.md, beside the lesson notebooks"
DIFFERS = f"where it differs from Docker: {DIVERGENCES}"


class EmbeddedEngine(DockerEngine):
    """labkit's embedded engine: a `labkit sim` daemon spoken to through the Docker SDK."""

    name = "sim"

    def __init__(self, socket: str, restart: bool = True) -> None:
        super().__init__("unix://" + socket)
        self.socket = socket
        self.revive = restart  # the user's own daemon is started again when it went away; a grader's is not
        self._host: str | None = None
        self._host_known = False

    @property
    def host_address(self) -> str | None:  # type: ignore[override]
        """Where this daemon's published ports listen, when not this machine's localhost (a private daemon)."""
        if not self._host_known:
            labels = self._call(self.api.info).get("Labels") or []
            found = [label[len(HOST_LABEL):] for label in labels if label.startswith(HOST_LABEL)]
            self._host, self._host_known = (found[0] if found else None), True
        return self._host

    def _call(self, fn, *args, **kwargs):
        """An Engine API call; a route the daemon does not serve becomes labkit's own one-line answer."""
        try:
            return super()._call(fn, *args, **kwargs)
        except NotFound as err:
            if err.message != "page not found":
                raise
            what = getattr(fn, "__name__", "this call").replace("_", " ")
            raise CommandError(f"labkit: labkit's embedded engine does not implement `{what}` "
                               "(an Engine API call outside the course's subset)\n", 1) from None

    # -- what a container listens on: always the daemon's answer ---------------------------------
    # The pids the daemon reports are its own: in a grading box it lives in a PID namespace of its own, so a pid
    # read here names some unrelated process of this machine (whose sockets would be another lab's, or a
    # container's of someone else). Its programs' sockets are its model's, asked of it (`cat /proc/net/tcp`).
    def _host_probe(self, info: dict):
        """Never this machine's /proc (see above): readiness asks the daemon."""
        return None

    def listeners(self, cid: str) -> list[tuple[str, int]]:
        """(address, port) pairs the container's programs listen on, as the daemon's model says."""
        info = self.inspect_container(cid)
        if not (info.get("State") or {}).get("Running"):
            return []
        return [(a, p) for a, p in readiness.listening_sockets(self._sockets_inside(cid))
                if a != readiness.DOCKER_DNS]

    def unreachable(self, err: BaseException) -> LabkitError:
        """The daemon stopped answering: start a new one (the user's), and say that the lab was lost."""
        if not self.revive:
            return CommandError(f"labkit: the embedded engine at {self.socket} stopped answering\n", 1)
        try:
            daemon.start(self.socket)
        except CommandError as failed:
            return failed
        self._api = None
        return CommandError("labkit: the embedded engine had stopped, so its containers and networks are gone; "
                            "a new one runs now: run labkit.lesson(...) again to rebuild the lab\n", 1)


def user_engine() -> tuple[EmbeddedEngine, str]:
    """The user's own daemon (started if needed) as an engine, and a note on what happened.

    When the daemon had died (its socket left behind), the learner is told once, on stderr, that its lab
    was lost: nothing they see later would say so.
    """
    status, note = daemon.start()
    if daemon.LOST in note:
        sys.stderr.write("labkit: the embedded engine had stopped, so its containers and networks are gone; "
                         "a new one runs now\n")
    return EmbeddedEngine(status.socket), note


def learner_engine() -> tuple[EmbeddedEngine, str]:
    """The sim kind's engine: the daemon at LABKIT_SIM_SOCKET (a grader's, private), else the user's own
    `labkit sim` daemon, started on first use; with where it is and where it differs from Docker, in a few words."""
    private = os.environ.get("LABKIT_SIM_SOCKET")
    if private:
        where = f"a private embedded engine at unix://{private}"
        return EmbeddedEngine(private, restart=False), f"{where}; {DIFFERS}"
    engine, note = user_engine()
    engine.version()  # connect now (the SDK, the API version): the learner's first command costs what the next does
    return engine, f"labkit's embedded engine {note.removeprefix('labkit sim: ')}; {DIFFERS}"
