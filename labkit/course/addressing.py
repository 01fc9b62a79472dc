"""The lab's fixed addresses: the subnets labkit's lesson set-up gives the networks it creates.

Measured on dockerd 20.10 with the docker CLI (the embedded engine does the same: conformance scenarios
`addr-pinned` and `subnet-rotate`): without `--subnet`, Docker hands out its default pools in turn
(172.18.0.0/16, 172.19.0.0/16 … 172.31.0.0/16, then 192.168.0.0/20, 192.168.16.0/20 …, then round again,
skipping any in use), starting from where its last allocation stopped and never the one just freed. So
`day8-net` re-created after a day of experiments gets another subnet, and a learner's copied address goes
stale. A subnet given with `network create --subnet` is taken as given, whatever came before (and refused
while another network overlaps it). Inside a network, each container gets the lowest free address when it
starts (.1 is the gateway), and gives it back when it stops or is removed.

So the set-up creates its networks with a fixed subnet and starts its containers in a fixed order: every
run of a lesson — Restart & Run All, another day, the grader's fresh lab, on either engine — gives `server`
172.18.0.2 and `client` 172.18.0.3. The learner's own `docker network create` (lesson 01, 03, compose in 12)
stays as the notes write it, with the subnet Docker picks; no check depends on those.
"""

from __future__ import annotations

import ipaddress

from labkit import session
from labkit.contract.transcript import run_line
from labkit.errors import CommandError, EngineError

# 172.18.0.0/16 is what a fresh Docker gives the first network one creates (and 172.19 the second), so the
# addresses are the ones a learner meets in tutorials; the same two on every engine and every run
SUBNETS = {"day8-net": "172.18.0.0/16", "day8-network": "172.19.0.0/16"}


def subnet_of(network: str) -> str:
    """The fixed subnet the set-up gives `network`."""
    return SUBNETS[network]


def container_address(network: str, n: int) -> str:
    """The n-th address of the network's fixed subnet (2: the first container started on it)."""
    return str(ipaddress.ip_network(subnet_of(network))[n])


def create(network: str) -> None:
    """Create `network` with its fixed subnet; when another network holds that subnet, say which, in one line."""
    subnet = subnet_of(network)
    result = run_line(f"docker network create --subnet {subnet} {network}")
    if result.exit_code == 0:
        return
    last = (result.stderr.strip().splitlines() or ["no message"])[-1]
    holder = holder_of(subnet) if "overlaps" in last.lower() else None
    if holder:
        raise CommandError(f"labkit: {network} needs the subnet {subnet} (so every run of the lesson has the same "
                           f"addresses), and the network {holder}, which is not this lab's, overlaps it: remove it "
                           f"(docker network rm {holder}) or stop what uses it, then run this cell again\n", 1)
    raise CommandError(f"labkit: preparing the lab failed at `docker network create --subnet {subnet} {network}`: "
                       f"{last}\n", 1)


def holder_of(subnet: str) -> str | None:
    """The name of a network on the engine whose subnet overlaps `subnet`, or None."""
    wanted = ipaddress.ip_network(subnet, strict=False)
    try:
        networks = session.current().engine().list_networks()
    except EngineError:
        return None
    for net in networks:
        for cfg in (net.get("IPAM") or {}).get("Config") or []:
            try:
                if ipaddress.ip_network(cfg.get("Subnet") or "", strict=False).overlaps(wanted):
                    return net.get("Name") or net.get("Id", "")[:12]
            except ValueError:
                continue
    return None
