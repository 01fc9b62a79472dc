"""The embedded engine's objects: networks and containers as the daemon keeps them, and their API documents.

A SimNetwork holds its IPAM (subnet, gateway), options, labels and endpoints (which container holds which
address, MAC and aliases). A SimContainer holds its config, state, network attachments, its real processes
and its log files. IDs, names and timestamps are made the way the daemon makes them.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import threading
import time
from dataclasses import dataclass, field

from labkit.engines.sim import images as simimages
from labkit.errors import engine_error

ENGINE_VERSION = "20.10.24+dfsg1"


API_VERSION = "1.41"


_ADJ = ["admiring", "brave", "clever", "eager", "focused", "gallant", "happy", "jolly", "keen", "loving",
        "nifty", "quirky", "relaxed", "sharp", "tender", "vibrant", "wizardly", "zen"]


_NOUN = ["babbage", "curie", "darwin", "euler", "feynman", "galileo", "hopper", "lovelace", "noether",
         "pascal", "ritchie", "shannon", "tesla", "turing", "wozniak"]


def _new_id() -> str:
    return hashlib.sha256(os.urandom(32)).hexdigest()


def _now() -> float:
    return time.time()


def _rfc3339(t: float | None) -> str:
    if not t:
        return "0001-01-01T00:00:00Z"
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1e9):09d}Z"


def _mac(ip: str) -> str:
    """The MAC Docker derives from an endpoint's address: 02:42 and the IPv4 address's four bytes (an IPv6
    address's last four, should one ever get here)."""
    return "02:42:" + ":".join(f"{b:02x}" for b in ipaddress.ip_address(ip).packed[-4:])


@dataclass
class SimNetwork:
    """A network: its IPAM, options and which containers hold which address."""

    id: str
    name: str
    driver: str
    subnet: str
    gateway: str
    internal: bool = False
    labels: dict = field(default_factory=dict)
    options: dict | None = field(default_factory=dict)
    created: float = field(default_factory=_now)
    user: bool = True
    fixed_subnet: bool = False  # --subnet given: IPAM shows only the subnet, as the daemon does
    fixed_gateway: bool = False  # --gateway given (with --subnet): IPAM shows it too
    attachable: bool = False
    endpoints: dict = field(default_factory=dict)  # cid -> {"ip", "mac", "aliases", "endpoint"}

    def free_ip(self) -> str:
        net = ipaddress.ip_network(self.subnet)
        used = {e["ip"] for e in self.endpoints.values()} | {self.gateway}
        for host in net.hosts():
            if str(host) not in used:
                return str(host)
        raise engine_error(500, f"no available IPv4 addresses on this network's address pools: {self.name} ({self.id})")

    def inspect(self, containers: dict) -> dict:
        members = {}
        for cid, ep in sorted(self.endpoints.items()):  # Go's encoding/json writes map keys sorted
            c = containers.get(cid)
            members[cid] = {"Name": c.name if c else "", "EndpointID": ep["endpoint"], "MacAddress": ep["mac"],
                            "IPv4Address": f"{ep['ip']}/{ipaddress.ip_network(self.subnet).prefixlen}",
                            "IPv6Address": ""}
        if self.driver != "bridge":
            ipam_config = []
        elif self.fixed_subnet:
            ipam_config = [{"Subnet": self.subnet, **({"Gateway": self.gateway} if self.fixed_gateway else {})}]
        else:
            ipam_config = [{"Subnet": self.subnet, "Gateway": self.gateway}]
        return {
            "Name": self.name, "Id": self.id, "Created": _rfc3339(self.created), "Scope": "local",
            "Driver": self.driver, "EnableIPv6": False,
            "IPAM": {"Driver": "default", "Options": None, "Config": ipam_config},
            "Internal": self.internal, "Attachable": self.attachable, "Ingress": False, "ConfigFrom": {"Network": ""},
            "ConfigOnly": False, "Containers": members, "Options": dict(sorted(self.options.items())),
            "Labels": dict(sorted(self.labels.items())),
        }


@dataclass
class SimContainer:
    """A container: config, state, endpoints, logs and its running main program."""

    id: str
    name: str
    image: simimages.SimImage
    image_ref: str
    config: dict
    network_mode: str
    aliases: list[str]
    bindings: dict
    auto_remove: bool
    index: int
    root: str
    created: float = field(default_factory=_now)
    status: str = "created"
    exit_code: int = 0
    started: float = 0.0
    finished: float = 0.0
    error: str = ""
    networks: list[str] = field(default_factory=list)  # networks joined (names), in order
    ns_owner: str | None = None
    thread: threading.Thread | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    procs: list = field(default_factory=list)
    forwarders: list = field(default_factory=list)
    aliases_by_net: dict = field(default_factory=dict)
    network_ids: dict = field(default_factory=dict)  # network name -> ID, once an endpoint was made there
    left_none: bool = False  # a --network none container disconnected from none (it may join networks now)
    killed: bool = False
    paused: bool = False  # docker pause: its processes are stopped (SIGSTOP) until unpause
    settled: threading.Event = field(default_factory=threading.Event)
    restart_policy: dict = field(default_factory=dict)  # HostConfig.RestartPolicy: {"Name", "MaximumRetryCount"}
    restart_count: int = 0  # restarts by the policy since the last start by hand
    restart_delay: float = 0.0  # the last wait before a restart (the back-off grows from it)
    restart_timer: threading.Timer | None = None  # the pending restart, while the container is "restarting"
    stopped_by_hand: bool = False  # docker stop / kill / rm -f: the policy does not start it again
    echoed_host: dict = field(default_factory=dict)  # HostConfig fields accepted at create and shown by inspect
    stdin_feed: object = None  # stdinfeed.StdinFeed: what a client attached with stdin writes to the program

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def restarting(self) -> bool:
        """Exited, and waiting for its restart policy to start it again."""
        return self.status == "restarting"

    @property
    def argv(self) -> list[str]:
        return list(self.config.get("Entrypoint") or []) + list(self.config.get("Cmd") or [])

    @property
    def stdout_path(self) -> str:
        return os.path.join(self.root, "stdout.log")

    @property
    def stderr_path(self) -> str:
        return os.path.join(self.root, "stderr.log")

    @property
    def listen_path(self) -> str:
        return os.path.join(self.root, "listen.jsonl")


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            return f.read()
    except OSError:
        return ""
