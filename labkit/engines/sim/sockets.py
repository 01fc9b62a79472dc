"""What listens where, as the kernel says: the listening TCP sockets of this network namespace (/proc/net/tcp
and tcp6) and which processes hold them (/proc/PID/fd); where there is no /proc (macOS), the kernel's per-process
socket list through psutil (`held_listening`), which needs no privilege for one's own processes.

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


class Unobservable(RuntimeError):
    """This machine offers no way to see which process holds which listening socket."""


def held_listening(pids: Iterable[int], proc: str = "/proc") -> list[tuple[Socket, int]]:
    """(listening socket, pid holding it) for the processes pids: from /proc (Linux), else from psutil (macOS,
    BSDs: the kernel's own per-process answer). Unobservable when neither is there (never an empty answer that
    would read as "nothing listens")."""
    pids = list(pids)
    if os.path.exists(f"{proc}/net/tcp"):
        inodes = holders(pids, proc)
        return [(s, inodes[s.inode]) for s in listening(proc) if s.inode in inodes]
    try:
        import psutil
    except ImportError:
        raise Unobservable("labkit's embedded engine cannot see what listens on this machine: it has no /proc and "
                           "psutil is not installed (pip install psutil)") from None
    return _held_by_psutil(psutil, pids)


def _held_by_psutil(psutil, pids: list[int]) -> list[tuple[Socket, int]]:
    """The listening TCP sockets of pids as psutil reports them (inode: the file descriptor, unique per pid)."""
    found = []
    for pid in pids:
        try:
            process = psutil.Process(pid)
            conns = process.net_connections(kind="tcp") if hasattr(process, "net_connections") else \
                process.connections(kind="tcp")
        except (psutil.Error, OSError):
            continue
        for conn in conns:
            if conn.status != psutil.CONN_LISTEN or not conn.laddr:
                continue
            ip = conn.laddr[0]
            mapped = ipaddress.ip_address(ip.split("%")[0])
            if mapped.version == 6 and mapped.ipv4_mapped is not None:
                ip = str(mapped.ipv4_mapped)
            found.append((Socket(ip, int(conn.laddr[1]), pid * 100000 + conn.fd), pid))
    return found
