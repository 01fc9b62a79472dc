"""When is a started container ready to be talked to? Shared rules, engine-specific probes.

A container is ready when its main process listens on a port it serves, or it has exited, or it
evidently is not a server. "Ports it serves" are its exposed ports (EXPOSE, --expose, -p); a
container that exposes none, or whose command is a known non-server (sleep, sh, curl …), is
not waited for at all. Waiting polls with a deadline; it never sleeps a fixed time.
"""

from __future__ import annotations

import os
import re
import shlex
import time
from collections.abc import Callable

DEFAULT_DEADLINE = float(os.environ.get("LABKIT_READY_TIMEOUT", "15"))
# a program that exposes no port but may serve (an interpreter) gets a shorter wait for any listener
ANY_PORT_DEADLINE = float(os.environ.get("LABKIT_READY_ANY_TIMEOUT", "3"))
INTERPRETERS = {"python", "python3", "node", "ruby", "perl", "php", "java", "uvicorn", "gunicorn", "flask"}
NOT_SERVERS = {
    "sleep", "sh", "bash", "ash", "dash", "cat", "tail", "true", "false", "echo", "curl", "ping",
    "nslookup", "getent", "hostname", "env", "ls", "wget", "top", "printf", "date",
}
_LISTEN = "0A"
# Docker's embedded DNS resolver listens on 127.0.0.11 (a random TCP port) inside every container on a user network
DOCKER_DNS = "127.0.0.11"


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


def expectation(config: dict) -> tuple[set[int] | None, float] | None:
    """What to wait for after a start: (ports, deadline), ports None meaning any port; None: nothing.

    A container that exposes ports is ready when one of them listens. One that exposes none but
    runs an interpreter (`python3 -m http.server 8000`) may still serve: it gets a short wait for
    any listener. Known clients (sleep, sh, curl …) are not waited for.
    """
    argv = main_command(config)
    if _argv_is_client(argv):
        return None
    ports = served_ports(config)
    if ports:
        return ports, DEFAULT_DEADLINE
    words = [os.path.basename(w) for w in argv if not w.startswith("-")]
    if words and (words[0] in INTERPRETERS or re.fullmatch(r"python3(\.\d+)?", words[0])):
        return None, ANY_PORT_DEADLINE
    return None


def listening_ports(proc_net_text: str) -> set[int]:
    """Ports in LISTEN state in the text of /proc/net/tcp and /proc/net/tcp6, apart from Docker's DNS resolver's."""
    return {port for address, port in listening_sockets(proc_net_text) if address != DOCKER_DNS}


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


def _hex_address(text: str) -> str:
    """The address of a /proc/net/tcp{,6} field ('0100007F' or a 32-digit IPv6), as text."""
    import ipaddress

    raw = bytes.fromhex(text)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    addr = ipaddress.IPv6Address(words)
    return str(addr.ipv4_mapped) if addr.ipv4_mapped else str(addr)


def listening_sockets(proc_net_text: str) -> list[tuple[str, int]]:
    """(address, port) of every socket in LISTEN state in /proc/net/tcp and tcp6 text, sorted, '::' as '::'."""
    out = set()
    for line in proc_net_text.splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[3] == _LISTEN and ":" in parts[1]:
            addr, _, port = parts[1].rpartition(":")
            try:
                out.add((_hex_address(addr), int(port, 16)))
            except ValueError:
                continue
    return sorted(out, key=lambda a: (a[1], a[0]))
