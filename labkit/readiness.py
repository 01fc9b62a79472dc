"""When is a started container ready to be talked to? Shared rules, engine-specific probes.

A container is ready when its main process listens on a port it serves, or it has exited, or it
evidently is not a server. "Ports it serves" are its exposed ports (EXPOSE, --expose, -p); a
container that exposes none, or whose command is a known non-server (sleep, sh, curl …), is
not waited for at all. Waiting polls with a deadline; it never sleeps a fixed time.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable

DEFAULT_DEADLINE = float(os.environ.get("LABKIT_READY_TIMEOUT", "15"))
NOT_SERVERS = {
    "sleep", "sh", "bash", "ash", "dash", "cat", "tail", "true", "false", "echo", "curl", "ping",
    "nslookup", "getent", "hostname", "env", "ls", "wget", "top", "printf", "date",
}
_LISTEN = "0A"


def served_ports(config: dict) -> set[int]:
    """The TCP ports a container's config says it serves (its ExposedPorts)."""
    out = set()
    for key in (config.get("ExposedPorts") or {}):
        port, _, proto = key.partition("/")
        if proto in ("", "tcp") and port.isdigit():
            out.add(int(port))
    return out


def main_command(config: dict) -> list[str]:
    """The main process's argv as configured (entrypoint then cmd)."""
    return list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])


_SHELLS = ("sh", "bash", "ash", "dash")


def _argv_is_client(argv: list[str]) -> bool:
    """True when argv evidently runs a non-server (sleep, curl, an idle shell …)."""
    words = [w for w in argv if not w.startswith("-")]
    if not words:
        return False
    first = os.path.basename(words[0])
    if first in _SHELLS:
        if "-c" not in argv[1:3]:
            return True  # an interactive or idle shell
        script = argv[argv.index("-c") + 1] if argv.index("-c") + 1 < len(argv) else ""
        try:
            inner = shlex.split(script)
        except ValueError:
            return False
        return _argv_is_client(inner)
    if first.endswith(".sh") and len(words) > 1:  # entrypoint wrappers hand over to their arguments
        return _argv_is_client(argv[argv.index(words[0]) + 1:])
    return first in NOT_SERVERS


def looks_like_server(config: dict) -> bool:
    """False when the container evidently is not a server: no served port, or a known client command."""
    if not served_ports(config):
        return False
    return not _argv_is_client(main_command(config))


def listening_ports(proc_net_text: str) -> set[int]:
    """Ports in LISTEN state in the text of /proc/net/tcp and /proc/net/tcp6 (any address)."""
    out = set()
    for line in proc_net_text.splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[3] == _LISTEN and ":" in parts[1]:
            try:
                out.add(int(parts[1].rsplit(":", 1)[1], 16))
            except ValueError:
                continue
    return out


def poll_until(check: Callable[[], bool], deadline_s: float = DEFAULT_DEADLINE,
               first_interval: float = 0.005, max_interval: float = 0.05) -> bool:
    """Call check() until it returns True or the deadline passes; True if it did."""
    end = time.monotonic() + deadline_s
    interval = first_interval
    while True:
        if check():
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(interval)
        interval = min(max_interval, interval * 1.5)
