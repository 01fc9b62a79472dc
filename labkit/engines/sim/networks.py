"""The embedded engine's networks: create, inspect, connect, and the address pools (the Engine API's /networks)."""

from __future__ import annotations

import ipaddress

from labkit.engines.sim.listfilters import labels_match
from labkit.engines.sim.model import (
    SimContainer,
    SimNetwork,
    _mac,
    _new_id,
)
from labkit.errors import EngineError, engine_error


class NetworkOps:
    """Networks: the Engine API's /networks, over SimNetwork objects. Mixed into SimEngine."""

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

    def list_networks(self, filters: dict | None = None) -> list[dict]:
        """GET /networks."""
        with self.lock:
            nets = [n.inspect(self.containers) for n in self.networks.values()]
        return [n for n in nets if labels_match(n.get("Labels"), (filters or {}).get("label", []))]

    def inspect_network(self, name: str) -> dict:
        """GET /networks/NAME."""
        with self.lock:
            return self._net(name).inspect(self.containers)

    def create_network(self, name: str, driver: str, internal: bool, subnets: list[str],
                       labels: dict[str, str], gateway: str | None = None, attachable: bool = False) -> str:
        """POST /networks/create. gateway (--gateway, inside the first subnet) replaces its first address."""
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
            fixed_gateway = bool(subnets) and gateway is not None
            gateway = gateway if fixed_gateway else str(next(ipaddress.ip_network(subnet).hosts()))
            net = SimNetwork(_new_id(), name, driver, subnet, gateway, internal, dict(labels), fixed_subnet=bool(subnets),
                             attachable=attachable, fixed_gateway=fixed_gateway)
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
            if c.network_mode == "none" and not c.left_none:
                raise engine_error(400, "container cannot be connected to multiple networks with one of the networks "
                                    "in private (none) mode")
            if c.ns_owner or c.network_mode == "host":
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
            if net.name == "none" and c.network_mode == "none" and not c.left_none and not c.networks:
                c.left_none = True  # Docker lets it leave none, and then join other networks
                return
            if net.name not in c.networks:
                raise engine_error(403, f"container {c.id} is not connected to network {net.name}")
            c.networks.remove(net.name)
            net.endpoints.pop(c.id, None)
            self._write_topology()

    def _attach(self, c: SimContainer, net: SimNetwork) -> None:
        if net.driver != "bridge" or c.id in net.endpoints:
            return
        ip = net.free_ip()
        c.network_ids[net.name] = net.id
        aliases = []
        if net.user:
            first = c.aliases if net.name == c.networks[0] else []
            aliases = list(c.aliases_by_net.get(net.name, first)) + [c.id[:12]]
        net.endpoints[c.id] = {"ip": ip, "mac": _mac(ip), "aliases": aliases, "endpoint": _new_id()}
