"""aardvark-dns 1.4's stall, waited out: after containers are removed or re-created on a network, Podman's DNS
server (aardvark-dns, on the network's gateway address, port 53) stops answering for several seconds while it
reloads, and every name lookup in the lab times out meanwhile (7-50 s measured on Debian 12's 1.4.0).

`answers` asks the gateway for a name with one DNS query over UDP, as a container's resolver does;
`wait_until_answering` asks for each running container's name until each has an address or a deadline passes
(a container started a moment ago may not be in aardvark-dns's records yet either). It works where the gateway is reachable
from here (rootful Podman on this machine); elsewhere (rootless, a remote service) it says it cannot tell.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Callable

DNS_PORT = 53
DEADLINE_S = 60.0
POLL_S = 0.1


def query(name: str, ident: int | None = None) -> bytes:
    """One DNS query packet asking for name's A record (recursion desired)."""
    ident = os.getpid() & 0xFFFF if ident is None else ident
    header = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(part)]) + part.encode() for part in name.strip(".").split(".") if part)
    return header + labels + b"\0" + struct.pack(">HH", 1, 1)


def answers(server: str, name: str, timeout: float = 1.0) -> bool | None:
    """True when the DNS server answers a query for name with an address, False when it stays silent for
    timeout seconds or has no address for it yet (it has not loaded the container's record), None when it
    cannot be asked from here (no route, refused)."""
    packet = query(name)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(packet, (server, DNS_PORT))
            reply, _ = s.recvfrom(2048)
        except TimeoutError:
            return False
        except OSError:
            return None
    if len(reply) < 12 or reply[:2] != packet[:2]:
        return False
    rcode, answer_count = reply[3] & 0x0F, struct.unpack(">H", reply[6:8])[0]
    return rcode == 0 and answer_count > 0


def wait_until_answering(servers: list[tuple[str, str]], say: Callable[[str], None],
                         deadline_s: float = DEADLINE_S) -> float:
    """Ask each (server, name) until it answers or deadline_s passes; say one line when it had to wait (why, and
    for how long). The seconds waited."""
    start = time.monotonic()
    pending = list(servers)
    said = False
    while pending:
        server, name = pending[0]
        got = answers(server, name)
        if got is None or got:
            pending.pop(0)
            continue
        if not said:
            say(f"labkit: waiting for Podman's DNS at {server} to answer for {name} (aardvark-dns before 1.11 "
                "stops answering for a while after containers change; see docs/podman.md)")
            said = True
        if time.monotonic() - start > deadline_s:
            say(f"labkit: Podman's DNS at {server} still does not answer for {name} after {deadline_s:.0f} s; "
                "name lookups will fail until it does")
            break
        time.sleep(POLL_S)  # it answered "no such name" at once: ask again shortly
    waited = time.monotonic() - start
    if said and waited <= deadline_s:
        say(f"labkit: Podman's DNS answers again (after {waited:.1f} s)")
    return waited
