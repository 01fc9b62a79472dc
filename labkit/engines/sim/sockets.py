"""What listens where, as the kernel says: the listening TCP sockets of this network namespace (/proc/net/tcp
and tcp6) and which processes hold them (/proc/PID/fd).

The embedded engine believes a container's programs listen somewhere only when the kernel shows a socket there
held by one of that container's processes: what a program writes about itself (the shim's listen reports) only
says how it asked to bind (`0.0.0.0` or the container's own address), never that it listens. A program holding
a socket on an address that is not its container's is refused (see Probes.refuse_foreign_listeners).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass

LISTEN = "0A"


@dataclass(frozen=True)
class Socket:
    """A listening TCP socket: its real address (IPv4-mapped IPv6 shown as IPv4), port and inode."""

    ip: str
    port: int
    inode: int


def _address(hexaddr: str) -> str:
    """/proc/net/tcp's hex address (32-bit words in host order, little-endian here) as an IP string."""
    raw = bytes.fromhex(hexaddr)
    packed = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    ip = ipaddress.ip_address(packed)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def listening(proc: str = "/proc") -> list[Socket]:
    """Every listening TCP socket of this process's network namespace."""
    found = []
    for name in ("tcp", "tcp6"):
        try:
            with open(f"{proc}/net/{name}", encoding="ascii", errors="replace") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) < 10 or fields[3] != LISTEN:
                continue
            try:
                addr, port = fields[1].rsplit(":", 1)
                found.append(Socket(_address(addr), int(port, 16), int(fields[9])))
            except ValueError:
                continue
    return found


def holders(pids: Iterable[int], proc: str = "/proc") -> dict[int, int]:
    """inode -> pid for every socket the processes pids hold open."""
    out: dict[int, int] = {}
    for pid in pids:
        folder = f"{proc}/{pid}/fd"
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for fd in names:
            try:
                target = os.readlink(f"{folder}/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                try:
                    out.setdefault(int(target[8:-1]), pid)
                except ValueError:
                    continue
    return out
