"""SimEngine: the state and behaviour of one embedded-engine daemon (its networks, images and containers).

It lives in the daemon's process (`labkit sim`, daemon.py) and nowhere else: the daemon serves it as the Docker
Engine API on a private unix socket (api.py and its api_* modules, which check and refuse every request field
before it gets here, and answer in Engine API shapes), and every client reaches it through that socket — labkit
itself (labkit.engines.simclient.EmbeddedEngine, the Engine API client labkit uses for dockerd too), the real
docker CLI, docker-py, compose. Containers run their real programs (Python through the socket shim) as this
machine's processes over real loopback TCP; networks, addresses, DNS and isolation follow Docker's rules
(netmodel); a grading daemon confines each container's processes (confine.py).

The engine is one class assembled from one mixin per concern: networks, images (imageops), containers
(the API documents), runtime (processes, restart policies, the published-port proxy) and probes (readiness,
listeners and the files programs read); model holds the objects they share.
"""

from __future__ import annotations

import atexit
import json
import os
import platform
import tempfile
import threading

from labkit.engines.sim import confine
from labkit.engines.sim import images as simimages
from labkit.engines.sim.containers import ContainerOps
from labkit.engines.sim.imageops import ImageOps
from labkit.engines.sim.model import (
    API_VERSION,
    ENGINE_VERSION,
    SimContainer,
    SimNetwork,
    _new_id,
)
from labkit.engines.sim.netmodel import (  # HOST_LOOPBACK: where published-port proxies connect from
    HOST_NETWORK,
    Topology,
    claim_block,
    real_addresses,
)
from labkit.engines.sim.networks import NetworkOps
from labkit.engines.sim.probes import Probes
from labkit.engines.sim.runtime import Runtime


class SimEngine(NetworkOps, ImageOps, ContainerOps, Runtime, Probes):
    """The embedded engine: one daemon's worth of networks, images and containers (in the daemon's process)."""

    name = "sim"

    def __init__(self, private_host: bool = False, confine: bool = False) -> None:
        self.confine = confine  # a grading lab: every container process in a Landlock domain (sim.confine)
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

    def _write_topology(self) -> None:
        data = {"containers": {}}
        for c in self.containers.values():
            owner = self.containers.get(c.ns_owner) if c.ns_owner else c
            loop, iface = self.real_addresses(owner or c)
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
                                        "networks": nets, "host": (owner or c).network_mode == "host"}
        self._topology = Topology(data)
        tmp = self.topology_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, self.topology_file)

    def topology(self) -> Topology:
        """The network model as the engine holds it (never read back from the file its containers' programs read)."""
        return self._topology

    def confinement(self, cid: str | None) -> int | None:
        """A confining engine's Landlock ruleset fd for a process of container cid (the caller closes it): it may
        write its own files, its own logs and its namespace's listen reports, nothing else. None when not confining."""
        if not self.confine or cid is None:
            return None
        c = self._ctr(cid)
        owner = self.containers.get(c.ns_owner) if c.ns_owner else c
        rootfs = os.path.join(c.root, "rootfs")
        os.makedirs(rootfs, exist_ok=True)
        files = [c.stdout_path, c.stderr_path, (owner or c).listen_path]
        for f in files:
            open(f, "a").close()
        return confine.ruleset([rootfs, *files])

    def real_addresses(self, c) -> tuple[str, str]:
        """The real (loopback, interfaces) addresses of a container's network namespace on this machine."""
        return HOST_NETWORK if c.network_mode == "host" else real_addresses(self.block, c.index)

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
        from labkit.version import __version__

        return {"Version": f"labkit {__version__}", "API version": API_VERSION,
                "Python version": platform.python_version(), "Context": "embedded",
                "Engine": "sim (embedded, no daemon)"}


__all__ = ["SimEngine"]
