"""The embedded engine: Docker's container networking with no daemon, behind the same contract.

It implements the Backend protocol (labkit/engines/base.py) in Engine API shapes, so the one
command layer and the one renderer print its results exactly as they print Docker's. Containers
run their real programs (Python through the socket shim) over real loopback TCP; networks,
addresses, DNS and isolation follow Docker's rules (netmodel).
"""

from __future__ import annotations

import atexit
import hashlib
import ipaddress
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from labkit import units
from labkit.engines import readiness
from labkit.engines.sim import images as simimages
from labkit.engines.sim import tools
from labkit.engines.sim.netmodel import (  # HOST_LOOPBACK: where published-port proxies connect from
    HOST_LOOPBACK,
    claim_block,
    real_addresses,
)
from labkit.errors import EngineError, engine_error
from labkit.images import with_tag

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
    return "02:42:" + ":".join(f"{int(o):02x}" for o in ip.split("."))


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
            ipam_config = [{"Subnet": self.subnet}]
        else:
            ipam_config = [{"Subnet": self.subnet, "Gateway": self.gateway}]
        return {
            "Name": self.name, "Id": self.id, "Created": _rfc3339(self.created), "Scope": "local",
            "Driver": self.driver, "EnableIPv6": False,
            "IPAM": {"Driver": "default", "Options": None, "Config": ipam_config},
            "Internal": self.internal, "Attachable": False, "Ingress": False, "ConfigFrom": {"Network": ""},
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
    killed: bool = False
    settled: threading.Event = field(default_factory=threading.Event)

    @property
    def running(self) -> bool:
        return self.status == "running"

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


class SimEngine:
    """The embedded engine (one per Python process)."""

    name = "sim"

    def __init__(self, private_host: bool = False) -> None:
        self.block, self._block_lock = claim_block()
        # a private host: published ports listen on this engine's own loopback address instead of 127.0.0.1,
        # so several engines (a grader's parallel jobs) can each publish 8080 without meeting
        self.host_address: str | None = f"127.80.{self.block}.1" if private_host else None
        self.dir = tempfile.mkdtemp(prefix="labkit-sim-")
        self.topology_file = os.path.join(self.dir, "topology.json")
        self.lock = threading.RLock()
        self.networks: dict[str, SimNetwork] = {}
        self.containers: dict[str, SimContainer] = {}
        self.images: list[simimages.SimImage] = simimages.base_images()
        self.build_cache: dict[str, str] = {}
        self.pool_cursor = 1
        self._add_network(SimNetwork(_new_id(), "bridge", "bridge", "172.17.0.0/16", "172.17.0.1", user=False,
                                     options={"com.docker.network.bridge.default_bridge": "true",
                                              "com.docker.network.bridge.enable_icc": "true",
                                              "com.docker.network.bridge.enable_ip_masquerade": "true",
                                              "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
                                              "com.docker.network.bridge.name": "docker0",
                                              "com.docker.network.driver.mtu": "1500"}))
        self._add_network(SimNetwork(_new_id(), "host", "host", "", "", user=False, options={}))
        self._add_network(SimNetwork(_new_id(), "none", "null", "", "", user=False, options={}))
        self._write_topology()
        atexit.register(self.shutdown)

    # -- bookkeeping ----------------------------------------------------------------------
    def _add_network(self, net: SimNetwork) -> None:
        self.networks[net.id] = net

    def _net(self, ref: str) -> SimNetwork:
        for net in self.networks.values():
            if net.name == ref or net.id == ref:
                return net
        matches = [n for n in self.networks.values() if n.id.startswith(ref)] if len(ref) >= 1 else []
        if len(matches) == 1:
            return matches[0]
        raise engine_error(404, f"network {ref} not found")

    def _net_or_none(self, ref: str) -> SimNetwork | None:
        try:
            return self._net(ref)
        except EngineError:
            return None

    def _ctr(self, ref: str) -> SimContainer:
        ref = ref.lstrip("/")
        for c in self.containers.values():
            if c.name == ref or c.id == ref:
                return c
        matches = [c for c in self.containers.values() if c.id.startswith(ref)]
        if len(matches) == 1 and ref:
            return matches[0]
        raise engine_error(404, f"No such container: {ref}")

    def _image(self, ref: str) -> simimages.SimImage | None:
        want = with_tag(ref)
        hex_ref = ref[7:] if ref.startswith("sha256:") else ref
        by_id = re.fullmatch(r"[0-9a-f]{4,64}", hex_ref) is not None  # an ID or ID prefix, never a name:tag
        for img in self.images:
            if want in img.tags or (by_id and img.id.split(":")[1].startswith(hex_ref)):
                return img
        return None

    def _write_topology(self) -> None:
        data = {"containers": {}}
        for c in self.containers.values():
            owner = self.containers.get(c.ns_owner) if c.ns_owner else c
            loop, iface = real_addresses(self.block, (owner or c).index)
            nets = {}
            if not c.ns_owner:
                for name in c.networks:
                    net = self._net_or_none(name)
                    ep = net.endpoints.get(c.id) if net else None
                    if ep is None:
                        continue
                    nets[name] = {"ip": ep["ip"], "aliases": ep["aliases"], "user": net.user,
                                  "internal": net.internal, "gateway": net.gateway, "subnet": net.subnet}
            data["containers"][c.id] = {"name": c.name, "running": c.running, "loopback": loop, "iface": iface,
                                        "hostname": c.config.get("Hostname", ""), "ns": c.ns_owner,
                                        "networks": nets}
        tmp = self.topology_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, self.topology_file)

    # -- engine ---------------------------------------------------------------------------
    def version(self) -> dict:
        """The engine's /version document (the embedded engine names itself)."""
        return {"Platform": {"Name": "labkit embedded engine"},
                "Components": [{"Name": "Engine", "Version": ENGINE_VERSION,
                                "Details": {"ApiVersion": API_VERSION, "MinAPIVersion": "1.12",
                                            "GoVersion": "(none: the embedded engine runs on Python "
                                                         f"{platform.python_version()})",
                                            "GitCommit": "labkit", "BuildTime": "", "Os": "linux",
                                            "Arch": "amd64", "Experimental": "false"}}],
                "Version": ENGINE_VERSION, "ApiVersion": API_VERSION}

    def client_info(self) -> dict[str, str]:
        """What the client side is."""
        from labkit import __version__

        return {"Version": f"labkit {__version__}", "API version": API_VERSION,
                "Python version": platform.python_version(), "Context": "embedded",
                "Engine": "sim (embedded, no daemon)"}

    # -- networks -------------------------------------------------------------------------
    def list_networks(self, filters: dict | None = None) -> list[dict]:
        """GET /networks."""
        with self.lock:
            nets = [n.inspect(self.containers) for n in self.networks.values()]
        return [n for n in nets if _match_labels(n.get("Labels"), filters)]

    def inspect_network(self, name: str) -> dict:
        """GET /networks/NAME."""
        with self.lock:
            return self._net(name).inspect(self.containers)

    def create_network(self, name: str, driver: str, internal: bool, subnets: list[str],
                       labels: dict[str, str]) -> str:
        """POST /networks/create."""
        with self.lock:
            if name in ("bridge", "host", "none"):
                raise engine_error(403, f"operation is not permitted on predefined {name} network")
            if any(n.name == name for n in self.networks.values()):
                raise engine_error(409, f"network with name {name} already exists")
            if subnets:
                try:
                    subnet = str(ipaddress.ip_network(subnets[0], strict=True))
                except ValueError:
                    raise engine_error(400, f"Invalid subnet {subnets[0]} : invalid CIDR address: {subnets[0]}") from None
                for n in self.networks.values():
                    if n.subnet and ipaddress.ip_network(n.subnet).overlaps(ipaddress.ip_network(subnet)):
                        raise engine_error(403, "Pool overlaps with other one on this address space")
            else:
                subnet = self._next_pool()
            gateway = str(next(ipaddress.ip_network(subnet).hosts()))
            net = SimNetwork(_new_id(), name, driver, subnet, gateway, internal, dict(labels), fixed_subnet=bool(subnets))
            self._add_network(net)
            return net.id

    def _next_pool(self) -> str:
        """Docker's default address pools, handed out in turn (wrapping round) and never overlapping."""
        pools = [f"172.{n}.0.0/16" for n in range(17, 32)] + [f"192.168.{16 * n}.0/20" for n in range(16)]
        used = [ipaddress.ip_network(n.subnet) for n in self.networks.values() if n.subnet]
        for step in range(len(pools)):
            candidate = pools[(self.pool_cursor + step) % len(pools)]
            if not any(ipaddress.ip_network(candidate).overlaps(u) for u in used):
                self.pool_cursor = (self.pool_cursor + step + 1) % len(pools)
                return candidate
        raise engine_error(400, "could not find an available, non-overlapping IPv4 address pool among the defaults to "
                            "assign to the network")

    def remove_network(self, name: str) -> None:
        """DELETE /networks/NAME."""
        with self.lock:
            net = self._net(name)
            if not net.user:
                raise engine_error(403, f"{net.name} is a pre-defined network and cannot be removed")
            if net.endpoints:
                raise engine_error(403, f"error while removing network: network {net.name} id {net.id} has active "
                                    "endpoints")
            del self.networks[net.id]

    def connect_network(self, network: str, container: str, aliases: list[str]) -> None:
        """POST /networks/NET/connect."""
        with self.lock:
            c = self._ctr(container)
            net = self._net(network)
            if c.ns_owner or c.network_mode in ("none", "host"):
                raise engine_error(400, "container sharing network namespace with another container or host "
                                    "cannot be connected to any other network")
            if net.name in c.networks:
                raise engine_error(403, f"endpoint with name {c.name} already exists in network {net.name}")
            if aliases and not net.user:
                raise engine_error(400, "network-scoped alias is supported only for containers in user defined "
                                    "networks")
            c.networks.append(net.name)
            c.aliases_by_net[net.name] = list(aliases)
            if c.running:
                self._attach(c, net)
            self._write_topology()

    def disconnect_network(self, network: str, container: str, force: bool) -> None:
        """POST /networks/NET/disconnect."""
        with self.lock:
            c = self._ctr(container)
            net = self._net(network)
            if net.name not in c.networks:
                raise engine_error(403, f"container {c.id} is not connected to network {net.name}")
            c.networks.remove(net.name)
            net.endpoints.pop(c.id, None)
            self._write_topology()

    def _attach(self, c: SimContainer, net: SimNetwork) -> None:
        if net.driver != "bridge" or c.id in net.endpoints:
            return
        ip = net.free_ip()
        aliases = []
        if net.user:
            first = c.aliases if net.name == c.networks[0] else []
            aliases = list(c.aliases_by_net.get(net.name, first)) + [c.id[:12]]
        net.endpoints[c.id] = {"ip": ip, "mac": _mac(ip), "aliases": aliases, "endpoint": _new_id()}

    # -- images ---------------------------------------------------------------------------
    def list_images(self) -> list[dict]:
        """GET /images/json."""
        return [i.summary() for i in self.images if i.tags]

    def inspect_image(self, name: str) -> dict:
        """GET /images/NAME/json."""
        img = self._image(name)
        if img is None:
            raise engine_error(404, f"No such image: {name}")
        return img.inspect()

    def import_image(self, tar_path: str, repository: str, tag: str, changes: list[str]) -> None:
        """Root filesystems cannot be imported: the embedded engine's base images are built in."""
        raise engine_error(501, "the embedded engine has the course's base images built in; nothing to import")

    def tag_image(self, image: str, tag: str) -> None:
        """POST /images/IMAGE/tag."""
        img = self._image(image)
        if img is None:
            raise engine_error(404, f"No such image: {image}")
        self._retag(img, with_tag(tag))

    def _retag(self, img: simimages.SimImage, tag: str) -> None:
        for other in self.images:
            if tag in other.tags:
                other.tags.remove(tag)
        img.tags.append(tag)

    def build(self, context: BinaryIO, tag: str | None, dockerfile: str, buildargs: dict[str, str],
              labels: dict[str, str]) -> Iterator[dict]:
        """Build from a context tar the way the classic builder does; yields its stream."""
        work = tempfile.mkdtemp(dir=self.dir, prefix="ctx-")
        with tarfile.open(fileobj=context, mode="r") as tar:
            tar.extractall(work, filter="data")
        lines: list[str] = []
        try:
            img = simimages.build(work, dockerfile, buildargs, self._image, os.path.join(self.dir, "layers"),
                                  lines.append, self.build_cache)
        except simimages.BuildError as err:
            yield from ({"stream": line} for line in lines)
            yield {"error": str(err), "errorDetail": {"message": str(err)}}
            return
        finally:
            shutil.rmtree(work, ignore_errors=True)
        yield from ({"stream": line} for line in lines)
        with self.lock:
            existing = next((i for i in self.images if i.id == img.id), None)
            if existing is None:
                self.images.append(img)
                existing = img
            if tag:
                self._retag(existing, with_tag(tag))
        yield {"aux": {"ID": img.id}}
        yield {"stream": f"Successfully built {img.id.split(':')[1][:12]}\n"}
        if tag:
            yield {"stream": f"Successfully tagged {with_tag(tag)}\n"}

    # -- containers -----------------------------------------------------------------------
    def list_containers(self, all: bool = False, filters: dict | None = None) -> list[dict]:
        """GET /containers/json."""
        with self.lock:
            items = sorted(self.containers.values(), key=lambda c: c.created, reverse=True)
            out = []
            for c in items:
                if not all and not c.running:
                    continue
                if not _match_labels(c.config.get("Labels"), filters):
                    continue
                if filters and "name" in filters and not any(f in c.name for f in filters["name"]):
                    continue
                out.append(self._summary(c))
            return out

    def _summary(self, c: SimContainer) -> dict:
        ports = []
        exposed = (c.config.get("ExposedPorts") or {}) if c.running else {}
        for key in exposed:
            port, _, proto = key.partition("/")
            binds = c.bindings.get(key) if c.running else None
            if binds:
                for ip, hp in binds:
                    for host_ip in ([ip] if ip else ["0.0.0.0", "::"]):
                        ports.append({"IP": host_ip, "PrivatePort": int(port), "PublicPort": int(hp), "Type": proto})
            else:
                ports.append({"PrivatePort": int(port), "Type": proto})
        return {"Id": c.id, "Names": ["/" + c.name], "Image": c.image_ref, "ImageID": c.image.id,
                "Command": " ".join(c.argv), "Created": int(c.created), "Ports": ports,
                "Labels": c.config.get("Labels") or {}, "State": c.status, "Status": self._status(c),
                "HostConfig": {"NetworkMode": c.network_mode}}

    def _status(self, c: SimContainer) -> str:
        now = _now()
        if c.status == "running":
            return "Up " + units.human_duration(now - c.started)
        if c.status == "exited":
            return f"Exited ({c.exit_code}) " + units.ago(c.finished, now)
        return "Created"

    def inspect_container(self, name: str) -> dict:
        """GET /containers/NAME/json."""
        with self.lock:
            c = self._ctr(name)
            return self._inspect(c)

    def _inspect(self, c: SimContainer) -> dict:
        argv = c.argv
        nets = {}
        for name in c.networks:
            net = self._net_or_none(name)
            if net is None:
                continue
            ep = net.endpoints.get(c.id)
            nets[name] = {"IPAMConfig": {} if net.user else None, "Links": None,
                          "Aliases": (ep or {}).get("aliases") if net.user else None,
                          "NetworkID": net.id, "EndpointID": (ep or {}).get("endpoint", ""),
                          "Gateway": net.gateway if ep else "", "IPAddress": (ep or {}).get("ip", ""),
                          "IPPrefixLen": ipaddress.ip_network(net.subnet).prefixlen if ep else 0,
                          "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
                          "MacAddress": (ep or {}).get("mac", ""), "DriverOpts": {} if net.user else None}
        ports = {}
        for key in c.config.get("ExposedPorts") or {}:
            binds = c.bindings.get(key)
            if c.running and binds:
                ports[key] = [{"HostIp": hip, "HostPort": hp} for ip, hp in binds
                              for hip in ([ip] if ip else ["0.0.0.0", "::"])]
            else:
                ports[key] = None
        bridge = nets.get("bridge") or {}
        return {
            "Id": c.id, "Created": _rfc3339(c.created), "Path": argv[0] if argv else "", "Args": argv[1:],
            "State": {"Status": c.status, "Running": c.running, "Paused": False, "Restarting": False,
                      "OOMKilled": False, "Dead": False, "Pid": self._pid(c), "ExitCode": c.exit_code,
                      "Error": c.error, "StartedAt": _rfc3339(c.started), "FinishedAt": _rfc3339(c.finished)},
            "Image": c.image.id, "Name": "/" + c.name, "RestartCount": 0, "Driver": "labkit-sim",
            "Platform": "linux",
            "HostConfig": {"NetworkMode": c.network_mode, "AutoRemove": c.auto_remove,
                           "PortBindings": {k: [{"HostIp": ip, "HostPort": hp} for ip, hp in v]
                                            for k, v in c.bindings.items()}},
            "Config": c.config,
            "NetworkSettings": {"Bridge": "", "SandboxID": "", "HairpinMode": False, "Ports": ports,
                                "EndpointID": bridge.get("EndpointID", ""), "Gateway": bridge.get("Gateway", ""),
                                "IPAddress": bridge.get("IPAddress", ""), "IPPrefixLen": bridge.get("IPPrefixLen", 0),
                                "MacAddress": bridge.get("MacAddress", ""), "Networks": nets},
        }

    def _pid(self, c: SimContainer) -> int:
        for p in c.procs:
            if p.poll() is None:
                return p.pid
        return os.getpid() if c.running else 0

    def create_container(self, *, image: str, command: list[str] | None, name: str | None, env: list[str],
                         exposed: list[str], bindings: dict, network: str | None, aliases: list[str],
                         labels: dict[str, str], tty: bool, stdin_open: bool, auto_remove: bool,
                         hostname: str | None) -> str:
        """POST /containers/create."""
        with self.lock:
            img = self._image(image)
            if img is None:
                raise engine_error(404, f"No such image: {with_tag(image)}")
            if name is not None:
                for c in self.containers.values():
                    if c.name == name:
                        raise engine_error(409, f'Conflict. The container name "/{name}" is already in use by container '
                                            f'"{c.id}". You have to remove (or rename) that container to be able '
                                            "to reuse that name.")
            mode = network or "default"
            owner = None
            nets: list[str] = []
            if mode.startswith("container:"):
                owner = self._ctr(mode.split(":", 1)[1])
                if owner.ns_owner:
                    owner = self._ctr(owner.ns_owner)
            elif mode == "none":
                pass
            elif mode in ("default", "bridge"):
                nets = ["bridge"]
            elif mode == "host":
                raise engine_error(400, "the embedded engine has no host network: use a bridge network")
            else:
                nets = [mode]  # the daemon looks the network up when the container starts
            cid = _new_id()
            cfg = json.loads(json.dumps(img.config))
            env_keys = {e.split("=", 1)[0] for e in env}
            cfg["Env"] = [e for e in cfg.get("Env") or [] if e.split("=", 1)[0] not in env_keys] + list(env)
            if command:
                cfg["Cmd"] = list(command)
            exposed_ports = dict(cfg.get("ExposedPorts") or {})
            for p in exposed:
                exposed_ports[p] = {}
            if exposed_ports:
                cfg["ExposedPorts"] = exposed_ports
            cfg["Labels"] = {**(cfg.get("Labels") or {}), **labels}
            cfg["Hostname"] = hostname or (owner.config["Hostname"] if owner else cid[:12])
            cfg["Image"] = image
            cfg["Tty"] = tty
            cfg["OpenStdin"] = stdin_open
            name = name or self._random_name()
            root = os.path.join(self.dir, "containers", cid)
            os.makedirs(root)
            files = os.path.join(root, "rootfs")
            if img.files and os.path.isdir(img.files):
                shutil.copytree(img.files, files, symlinks=True)
            else:
                os.makedirs(files)
            taken = {other.index for other in self.containers.values()}
            index = next((i for i in range(250) if i not in taken), None)
            if index is None:
                raise engine_error(500, "the embedded engine holds 250 containers at most; remove some (labkit clean)")
            c = SimContainer(cid, name, img, image, cfg, network or "default", list(aliases), dict(bindings),
                             auto_remove, index, root)
            c.networks = nets
            c.ns_owner = owner.id if owner else None
            self.containers[cid] = c
            self._write_topology()
            return cid

    def _random_name(self) -> str:
        taken = {c.name for c in self.containers.values()}
        while True:
            name = f"{random.choice(_ADJ)}_{random.choice(_NOUN)}"
            if name not in taken:
                return name

    def start(self, cid: str) -> None:
        """POST /containers/ID/start: endpoints, published ports, then the main program."""
        with self.lock:
            c = self._ctr(cid)
            if c.running:
                return
            argv = c.argv
            if argv and argv[0] != "/entrypoint.sh" and os.path.basename(argv[0]) not in c.image.tools:
                raise engine_error(400, "failed to create shim task: OCI runtime create failed: runc create failed: "
                                    f'unable to start container process: exec: "{argv[0]}": executable file not '
                                    "found in $PATH: unknown")
            if c.ns_owner and not self.containers[c.ns_owner].running:
                raise engine_error(409, f"cannot join network of a non running container: {c.ns_owner}")
            for name in c.networks:
                self._net(name)  # 404 "network X not found" before anything changes
            c.networks = [self._net(name).name for name in c.networks]
            for name in c.networks:
                self._attach(c, self._net(name))
            try:
                self._publish(c)
            except EngineError:
                for name in c.networks:
                    self._net(name).endpoints.pop(c.id, None)
                raise
            c.status = "running"
            c.started = _now()
            c.exit_code = 0
            c.stop_event = threading.Event()
            c.done = threading.Event()
            open(c.listen_path, "w").close()
            self._write_topology()
            c.settled = threading.Event()
            c.thread = threading.Thread(target=self._main, args=(c,), daemon=True, name=f"sim-{c.name}")
            c.thread.start()
        c.settled.wait(5)  # the program has started: it waits, serves, or has already finished

    def _publish(self, c: SimContainer) -> None:
        for key, binds in c.bindings.items():
            port = int(key.split("/")[0])
            for ip, hp in binds:
                if hp == "":
                    hp = str(self._free_host_port())
                    binds[binds.index((ip, ""))] = (ip, hp)
                try:
                    # published ports listen on this machine's loopback only, never on its network
                    bind = ip if ip and ipaddress.ip_address(ip).is_loopback else "127.0.0.1"
                    bind = self.host_address or bind
                    c.forwarders.append(_Forwarder(self, c, bind, int(hp), port))
                except OSError:
                    for f in c.forwarders:
                        f.close()
                    c.forwarders = []
                    raise engine_error(500, f"driver failed programming external connectivity on endpoint {c.name} "
                                        f"({_new_id()}): Bind for {ip or '0.0.0.0'}:{hp} failed: port is already "
                                        "allocated") from None

    def _free_host_port(self) -> int:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    @staticmethod
    def _program_env(c: SimContainer, extra: list[str] = ()) -> dict[str, str]:
        """The environment a program in the container sees (image and run -e/exec -e variables)."""
        env = dict(e.split("=", 1) for e in [*(c.config.get("Env") or []), *extra] if "=" in e)
        env["HOSTNAME"] = c.config["Hostname"]
        env["LABKIT_USER"] = c.config.get("User") or "root"
        env["PWD"] = c.config.get("WorkingDir") or "/"
        return env

    def _main(self, c: SimContainer) -> None:
        env = self._program_env(c)
        ctx = tools.Ctx(self, c.id, self._cwd(c), env, c.image.tools, stop=c.stop_event,
                        stdin_open=bool(c.config.get("OpenStdin")), on_process=c.procs.append,
                        logs=(c.stdout_path, c.stderr_path), settled=c.settled)
        try:
            code = tools.run(ctx, c.argv)
        except tools.NotFound as err:
            ctx.error(f"exec: {err}: not found\n")
            code = 127
        except Exception as err:  # the engine must survive whatever a program does
            ctx.error(f"labkit sim: {type(err).__name__}: {err}\n")
            code = 1
        try:
            with open(c.stdout_path, "a", encoding="utf-8", newline="") as f:
                f.write("".join(ctx.out))
            with open(c.stderr_path, "a", encoding="utf-8", newline="") as f:
                f.write("".join(ctx.err))
        except OSError:
            pass  # the engine is shutting down and its files are gone
        with self.lock:
            c.exit_code = 137 if c.killed else code
            c.killed = False
            self._stopped(c)
        c.done.set()
        c.settled.set()
        if c.auto_remove:
            with self.lock:
                self._forget(c)

    def _stopped(self, c: SimContainer) -> None:
        c.status = "exited"
        c.finished = _now()
        for f in c.forwarders:
            f.close()
        c.forwarders = []
        for name in c.networks:
            net = self._net_or_none(name)
            if net is not None:
                net.endpoints.pop(c.id, None)
        for other in self.containers.values():  # joiners lose the namespace with its owner
            if other.ns_owner == c.id and other.running:
                self._kill(other)
        self._write_topology()

    def _cwd(self, c: SimContainer) -> str:
        wd = c.config.get("WorkingDir") or "/"
        path = os.path.join(c.root, "rootfs") + wd
        os.makedirs(path, exist_ok=True)
        return path

    def _kill(self, c: SimContainer) -> None:
        c.killed = True
        c.stop_event.set()
        for p in c.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def stop(self, cid: str, timeout: int | None = None) -> None:
        """POST /containers/ID/stop: SIGTERM (ignored by a PID 1 without a handler), then SIGKILL."""
        c = self._ctr(cid)
        if not c.running:
            return
        for p in c.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        if not c.done.wait(10 if timeout is None else timeout):
            self._kill(c)
        c.done.wait(10)

    def restart(self, cid: str, timeout: int | None = None) -> None:
        """POST /containers/ID/restart."""
        self.stop(cid, timeout)
        self.start(cid)

    def remove_container(self, cid: str, force: bool = False) -> None:
        """DELETE /containers/ID."""
        c = self._ctr(cid)
        if c.running:
            if not force:
                raise engine_error(409, f"You cannot remove a running container {c.id}. Stop the container before "
                                    "attempting removal or force remove")
            self._kill(c)
            c.done.wait(10)
        with self.lock:
            self._forget(c)

    def _forget(self, c: SimContainer) -> None:
        if c.id in self.containers:
            del self.containers[c.id]
            for net in self.networks.values():
                net.endpoints.pop(c.id, None)
            shutil.rmtree(c.root, ignore_errors=True)
            self._write_topology()

    def wait(self, cid: str) -> int:
        """POST /containers/ID/wait: the exit code."""
        c = self._ctr(cid)
        if c.status == "created":
            return 0
        while not c.done.wait(0.5):
            pass
        return c.exit_code

    def logs(self, cid: str) -> tuple[str, str]:
        """The container's stdout and stderr so far."""
        c = self._ctr(cid)
        out = _read(c.stdout_path)
        err = _read(c.stderr_path)
        return out, err

    def exec_run(self, cid: str, cmd: list[str], tty: bool, env: list[str], detach: bool = False
                 ) -> tuple[int, str, str]:
        """Run cmd in the container: its exit code, stdout and stderr."""
        c = self._ctr(cid)
        if not c.running:
            raise engine_error(409, f"Container {c.id} is not running")
        ctx = tools.Ctx(self, c.id, self._cwd(c), self._program_env(c, env), c.image.tools, stop=c.stop_event,
                        on_process=c.procs.append)
        try:
            code = tools.run(ctx, cmd)
        except tools.NotFound as err:
            return 126, ("OCI runtime exec failed: exec failed: unable to start container process: exec: "
                         f'"{err}": executable file not found in $PATH: unknown\r\n'), ""
        return code, "".join(ctx.out), "".join(ctx.err)

    # -- readiness ------------------------------------------------------------------------
    def wait_ready(self, cid: str, deadline_s: float = readiness.DEFAULT_DEADLINE) -> None:
        """Return when the program listens on a served port (the shim reports listen()), exits, or is no server."""
        c = self._ctr(cid)
        wanted = readiness.expectation(c.config)
        if wanted is None:
            return
        ports, deadline = wanted

        def ready() -> bool:
            if not c.running:
                return True
            found = self.listening(c.id)
            return bool(found & ports) if ports else bool(found)

        # the shim's reports are a small local file: cheap to read often
        readiness.poll_until(ready, min(deadline, deadline_s), max_interval=0.01)

    def listening(self, cid: str) -> set[int]:
        """Ports the container's programs listen on (from the shim's reports)."""
        c = self._ctr(cid)
        owner = self.containers.get(c.ns_owner) if c.ns_owner else c
        found = set()
        for rec in _read(owner.listen_path).splitlines():
            try:
                found.add(json.loads(rec)["port"])
            except (ValueError, KeyError):
                continue
        return found

    def listeners(self, cid: str) -> list[tuple[str, int]]:
        """(address, port) pairs the container's programs listen on, as seen inside it (shim reports)."""
        c = self._ctr(cid)
        owner = self.containers.get(c.ns_owner) if c.ns_owner else c
        if not c.running:
            return []
        found = set()
        for rec in _read(owner.listen_path).splitlines():
            try:
                item = json.loads(rec)
                found.add(("::" if item["addr"] in ("", "::") and item.get("family") == 6 else item["addr"] or "0.0.0.0",
                           int(item["port"])))
            except (ValueError, KeyError):
                continue
        return sorted(found, key=lambda a: (a[1], a[0]))

    # -- what programs inside see ---------------------------------------------------------
    def process_env(self, cid: str | None) -> dict[str, str]:
        """Environment that puts a real process inside the container's network model."""
        c = self._ctr(cid)
        owner = self.containers.get(c.ns_owner) if c.ns_owner else c
        here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return {"LABKIT_SIM_TOPOLOGY": self.topology_file, "LABKIT_SIM_CID": c.id,
                "LABKIT_SIM_LISTEN": owner.listen_path, "HOSTNAME": c.config["Hostname"],
                "PYTHONPATH": here, "PYTHONDONTWRITEBYTECODE": "1"}

    def container_view(self, cid: str) -> dict:
        """Hostname, addresses and real loopback mapping of a container, for the tools."""
        c = self._ctr(cid)
        owner = self.containers.get(c.ns_owner) if c.ns_owner else c
        loop, iface = real_addresses(self.block, owner.index)
        nets = {}
        for name in owner.networks:
            net = self._net_or_none(name)
            ep = net.endpoints.get(owner.id) if net else None
            if ep:
                nets[name] = {"ip": ep["ip"]}
        return {"hostname": c.config["Hostname"], "networks": nets, "loopback": loop, "iface": iface}

    def nameserver(self, cid: str | None) -> str:
        """The resolver a container uses: 127.0.0.11 on user-defined networks."""
        if cid is None:
            return "127.0.0.53"
        c = self._ctr(cid)
        owner = self.containers.get(c.ns_owner) if c.ns_owner else c
        if any(getattr(self._net_or_none(n), "user", False) for n in owner.networks):
            return "127.0.0.11"
        return _host_nameserver()

    def read_file(self, cid: str | None, path: str) -> str | None:
        """A file inside the container: the generated /etc files, or one the image copied in."""
        if cid is None:
            return None
        c = self._ctr(cid)
        view = self.container_view(cid)
        if path == "/etc/hosts":
            text = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
                    "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")
            for n in view["networks"].values():
                text += f"{n['ip']}\t{view['hostname']}\n"
            return text
        if path == "/etc/resolv.conf":
            ns = self.nameserver(cid)
            if ns == "127.0.0.11":
                return "nameserver 127.0.0.11\noptions ndots:0\n"
            return f"nameserver {ns}\n"
        if path == "/etc/hostname":
            return view["hostname"] + "\n"
        if path == "/proc/net/route":
            return _route_table(self, c)
        full = os.path.join(c.root, "rootfs") + (path if path.startswith("/") else
                                                  os.path.join(c.config.get("WorkingDir") or "/", path))
        try:
            with open(full, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return None

    def shutdown(self) -> None:
        """End every program the engine started and remove its files (also at interpreter exit)."""
        for c in list(self.containers.values()):
            if c.running:
                self._kill(c)
        for c in list(self.containers.values()):
            c.done.wait(2)
        for c in list(self.containers.values()):
            for f in c.forwarders:
                f.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class _Forwarder:
    """A published port: the simulated host's HOSTPORT forwarded to the container's interfaces."""

    def __init__(self, engine: SimEngine, c: SimContainer, host_ip: str, host_port: int, port: int):
        self.engine, self.c, self.port = engine, c, port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host_ip, host_port))
        self.sock.listen(64)
        self.closed = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(conn,), daemon=True).start()

    def _pipe(self, conn: socket.socket) -> None:
        _, iface = real_addresses(self.engine.block, self.c.index)
        up = socket.socket()
        try:
            up.bind((HOST_LOOPBACK, 0))
            up.connect((iface, self.port))
        except OSError:
            # Docker's proxy accepts, cannot reach the app, and drops the connection. Wait for the client's first
            # bytes (or a second) before the reset: a reset that beats the client's own check of its connect
            # would read as "could not connect" (curl 7) instead of Docker's "connection reset" (curl 56)
            conn.settimeout(1.0)
            try:
                conn.recv(65536)
            except OSError:
                pass
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()
            up.close()
            return

        def copy(a: socket.socket, b: socket.socket) -> None:
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    b.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        t = threading.Thread(target=copy, args=(up, conn), daemon=True)
        t.start()
        copy(conn, up)
        t.join(30)
        conn.close()
        up.close()

    def close(self) -> None:
        """Stop listening now (shutdown wakes the accepting thread; close alone would not)."""
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def _hex_ip(ip: str) -> str:
    return "".join(f"{int(o):02X}" for o in reversed(ip.split(".")))


def _route_table(engine: SimEngine, c: SimContainer) -> str:
    """/proc/net/route of the container's namespace (the kernel pads every line to 127 columns)."""
    head = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT"
    rows = [head]
    owner = engine.containers.get(c.ns_owner) if c.ns_owner else c
    for k, name in enumerate(owner.networks):
        net = engine._net(name)
        if owner.id not in net.endpoints:
            continue
        dev = f"eth{k}"
        if k == 0:
            rows.append(f"{dev}\t00000000\t{_hex_ip(net.gateway)}\t0003\t0\t0\t0\t00000000\t0\t0\t0")
        network = ipaddress.ip_network(net.subnet)
        rows.append(f"{dev}\t{_hex_ip(str(network.network_address))}\t00000000\t0001\t0\t0\t0\t"
                    f"{_hex_ip(str(network.netmask))}\t0\t0\t0")
    return "".join(r.ljust(127) + "\n" for r in rows)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            return f.read()
    except OSError:
        return ""


def _host_nameserver() -> str:
    text = _read("/etc/resolv.conf")
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver" and not parts[1].startswith("127."):
            return parts[1]
    return "8.8.8.8"


def _match_labels(labels: dict | None, filters: dict | None) -> bool:
    if not filters or "label" not in filters:
        return True
    labels = labels or {}
    for want in filters["label"]:
        key, eq, val = want.partition("=")
        if key not in labels or (eq and labels[key] != val):
            return False
    return True


__all__ = ["SimEngine"]
