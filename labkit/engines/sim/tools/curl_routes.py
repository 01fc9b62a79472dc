"""Where curl's connection goes when the command line says so: --connect-to and --resolve, as curl 8.14 reads them.

`--connect-to HOST1:PORT1:HOST2:PORT2` sends a connection for HOST1:PORT1 (either may be empty: any) to
HOST2:PORT2 (either may be empty: unchanged); the request still names the URL's host. An entry that is not four
fields is ignored, as curl ignores it. `--resolve [+]HOST:PORT:ADDR[,ADDR]…` answers HOST for connections to
PORT with the addresses, without asking DNS; an entry curl cannot parse ends curl with exit 49.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from labkit.engines.sim.tools.curl_http import Target


def connect_target(t: Target, entries: list[str]) -> Target:
    """The host and port curl connects to for the URL's target: the first --connect-to entry that matches it."""
    for entry in entries:
        fields = entry.split(":")
        if len(fields) != 4:
            continue
        host1, port1, host2, port2 = fields
        if host1 and host1.lower() != t.host.lower():
            continue
        if port1 and (not port1.isdigit() or int(port1) != t.port):
            continue
        return replace(t, host=host2 or t.host, port=int(port2) if port2.isdigit() else t.port)
    return t


def resolve_entry(entry: str) -> tuple[str, int, list[str]] | None:
    """(host, port, addresses) of one --resolve entry; None when curl cannot parse it."""
    host, sep1, rest = entry.lstrip("+").partition(":")
    port, sep2, addrs = rest.partition(":")
    if not (sep1 and sep2 and host and port.isdigit()):
        return None
    addresses = [a.strip("[]") for a in addrs.split(",") if a]
    try:
        for a in addresses:
            ipaddress.ip_address(a)
    except ValueError:
        return None
    return host, int(port), addresses


def resolved(host: str, port: int, entries: list[str]) -> list[str] | None:
    """The addresses --resolve gives host for a connection to port (None: DNS answers)."""
    for entry in entries:
        parsed = resolve_entry(entry)
        if parsed and parsed[0].lower() == host.lower() and parsed[1] == port and parsed[2]:
            return parsed[2]
    return None
