"""What the course asks of the embedded engine beyond the Engine API (readiness, listeners), and what programs
inside a container see of it: its environment, its view of the network, and its generated files (/etc/hosts,
/etc/resolv.conf, /etc/hostname, /proc/net/*)."""

from __future__ import annotations

import ipaddress
import json
import os

from labkit.engines import readiness
from labkit.engines.sim import carrier, sockets
from labkit.engines.sim.model import (
    SimContainer,
    _read,
)
from labkit.engines.sim.netmodel import HOST_LOOPBACK, real_addresses, v6only_address
from labkit.engines.sim.procs import families, family
from labkit.errors import engine_error
from labkit.netrules import accepts, binds_all


class Probes:
    """Readiness, listeners and what programs inside a container see. Mixed into SimEngine."""

    @property
    def carrier(self) -> carrier.Carrier:
        """How this engine carries its modelled addresses (sim.carrier: real loopback addresses, or ports of
        127.0.0.1 on a machine with one loopback address), chosen once, on first use."""
        found = self.__dict__.get("_carrier")
        if found is None:
            found = carrier.choose(real_addresses(self.block, 0)[0], os.path.join(self.dir, "ports"))
            self.__dict__["_carrier"] = found
        return found

    def check_addressing(self) -> None:
        """Refuse, in one line, to start a program this machine cannot put on the lab's addresses (never a later
        'could not resolve host' from a server that silently failed to bind)."""
        if self.carrier.problem:
            raise engine_error(500, self.carrier.problem)
        if self.carrier.mode != "ports":
            return
        if getattr(self, "confine", False):  # its programs could not write the carrier's registry
            raise engine_error(500, "labkit's embedded engine cannot confine a grading lab's programs on this machine: "
                               "it has one loopback address (ports mode), and confinement needs addresses mode")
        host = getattr(self, "host_address", None)
        why = host and carrier.can_bind(host)
        if why:
            raise engine_error(500, f"labkit's embedded engine cannot bind {host} on this machine: {why} (a private "
                               "host address for published ports needs a loopback holding 127.0.0.0/8; set "
                               "LABKIT_PRIVATE_HOST=0)")

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
        """Ports the container's programs listen on (kernel-verified; see listeners)."""
        c = self._ctr(cid)
        owner = self.containers.get(c.ns_owner) if c.ns_owner else c
        if not _claims(owner.listen_path):  # nothing reported yet: no kernel reading needed (readiness polls this)
            return set()
        return {port for _, port in self.listeners(cid)}

    def listeners(self, cid: str) -> list[tuple[str, int]]:
        """(address, port) pairs the container's programs listen on, as seen inside it.

        Only what the kernel shows (sim.sockets): a listening socket held by a process of the container's network
        namespace. Its programs' own reports (the shim's listen log, which they can write) only say how a socket
        asked to bind (0.0.0.0, or the container's own address, both carried on its interfaces' real address);
        a report with no such socket behind it counts for nothing."""
        c = self._ctr(cid)
        owner = self.containers.get(c.ns_owner) if c.ns_owner else c
        if not c.running:
            return []
        self.refuse_foreign_listeners()
        held = self._held(owner)
        if not held:
            return []
        loop, iface = self.real_addresses(owner)
        ips = self._own_ips(owner)
        found, explained = set(), set()
        for rec in _claims(owner.listen_path):
            try:
                addr, port, family = str(rec.get("addr", "")), int(rec["port"]), int(rec.get("family", 4))
            except (KeyError, TypeError, ValueError):
                continue
            real = _real_of(addr, family, bool(rec.get("v6only")), loop, iface, ips)
            if real is None or (real, port) not in held:
                continue
            explained.add((real, port))
            found.add(("::" if addr in ("", "::") and family == 6 else addr or "0.0.0.0", port))
        for real, port in held - explained:  # a socket bound without the shim: named by its real address
            shown = "127.0.0.1" if real == loop else "::" if real == v6only_address(loop) else \
                (ips[0] if ips else "0.0.0.0") if real == iface else None
            if shown is not None:
                found.add((shown, port))
        return sorted(found, key=lambda a: (a[1], a[0]))

    def serves_loopback(self, cid: str, port: int) -> bool:
        """Whether a wildcard listener of the container (0.0.0.0, or `::` serving IPv4) holds port: then a connection
        to its 127.0.0.1:port is carried to its interfaces' address (netrules.accepts)."""
        return any(port == p and accepts(addr, "127.0.0.1") for addr, p in self.listeners(cid)
                   if addr not in ("127.0.0.1",))

    def _own_ips(self, owner: SimContainer) -> list[str]:
        ips = []
        for name in owner.networks:
            net = self._net_or_none(name)
            ep = net.endpoints.get(owner.id) if net else None
            if ep:
                ips.append(ep["ip"])
        return ips

    def _namespace(self, owner: SimContainer) -> list[SimContainer]:
        """The containers sharing owner's network namespace (owner first)."""
        return [owner, *[o for o in self.containers.values() if o.ns_owner == owner.id]]

    def _pids(self, owner: SimContainer) -> set[int]:
        roots = [p.pid for c in self._namespace(owner) for p in c.procs if p.poll() is None]
        return family(roots) if roots else set()

    def _held(self, owner: SimContainer) -> set[tuple[str, int]]:
        """(real address, port) of every listening socket a process of owner's namespace holds."""
        pids = self._pids(owner)
        if not pids:
            return set()
        return {self.carrier.name(s.ip, s.port) for s, _ in _held_listening(pids)}

    def refuse_foreign_listeners(self) -> list[str]:
        """Stop every container process that listens on an address not its container's (another container's, the
        host's, or every address at once): in Docker it has a network namespace of its own, where no such address
        exists. The container's log says so. Returns what was refused."""
        owners = {c.id: c for c in list(self.containers.values()) if not c.ns_owner and c.running}
        roots = {cid: [p.pid for c in self._namespace(o) for p in c.procs if p.poll() is None]
                 for cid, o in owners.items()}
        if not any(roots.values()):
            return []
        by_pid = {pid: owners[cid] for pid, cid in families(roots).items()}
        refused = []
        for sock, pid in _held_listening(by_pid):
            owner = by_pid[pid]
            ip, port = self.carrier.name(sock.ip, sock.port)
            if not self._foreign(owner, ip):
                continue
            try:
                os.kill(pid, 9)
            except (ProcessLookupError, PermissionError):
                continue
            what = (f"labkit sim: process {pid} was stopped: it listened on {ip}:{port}, which is not an "
                    f"address of {owner.name}'s network namespace (a container's programs can listen only on its "
                    "own addresses)\n")
            refused.append(what)
            try:
                with open(owner.stderr_path, "a", encoding="utf-8") as f:
                    f.write(what)
            except OSError:
                pass
        return refused

    def _foreign(self, owner: SimContainer, ip: str) -> bool:
        loop, iface = self.real_addresses(owner)
        if owner.network_mode == "host":  # the host's own loopback is its: any address but the lab's own
            lab = ip.startswith(tuple(f"127.{n}.{self.block}." for n in (75, 76, 77, 78))) or \
                ip in (self.host_address, HOST_LOOPBACK)
            return lab or ip in ("0.0.0.0", "::")
        return ip not in (loop, iface, v6only_address(loop))

    def process_env(self, cid: str | None) -> dict[str, str]:
        """Environment that puts a real process inside the container's network model."""
        c = self._ctr(cid)
        owner = self.containers.get(c.ns_owner) if c.ns_owner else c
        here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return {"LABKIT_SIM_TOPOLOGY": self.topology_file, "LABKIT_SIM_CID": c.id,
                "LABKIT_SIM_LISTEN": owner.listen_path, "LABKIT_SIM_ROOT": os.path.join(c.root, "rootfs"),
                "HOSTNAME": c.config["Hostname"],
                "PYTHONPATH": here, "PYTHONDONTWRITEBYTECODE": "1", **self.carrier.env()}

    def container_view(self, cid: str) -> dict:
        """Hostname, addresses and real loopback mapping of a container, for the tools."""
        c = self._ctr(cid)
        owner = self.containers.get(c.ns_owner) if c.ns_owner else c
        loop, iface = self.real_addresses(owner)
        nets = {}
        for name in owner.networks:
            net = self._net_or_none(name)
            ep = net.endpoints.get(owner.id) if net else None
            if ep:
                nets[name] = {"ip": ep["ip"]}
        return {"id": owner.id, "hostname": c.config["Hostname"], "networks": nets, "loopback": loop,
                "iface": iface, "listen_log": owner.listen_path}

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
        if path in ("/proc/net/tcp", "/proc/net/tcp6"):
            return _tcp_table(self.listeners(cid) if c.running else [], v6=path.endswith("6"))
        full = os.path.join(c.root, "rootfs") + (path if path.startswith("/") else
                                                  os.path.join(c.config.get("WorkingDir") or "/", path))
        try:
            with open(full, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return None


_TCP_HEAD = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
             "                                                     ")


def _tcp_table(listening: list[tuple[str, int]], v6: bool) -> str:
    """/proc/net/tcp or tcp6 of the namespace: its listening sockets (state 0A) in the kernel's layout."""
    import ipaddress

    rows = [_TCP_HEAD]
    for addr, port in listening:
        ip = ipaddress.ip_address(addr or "0.0.0.0")
        if (ip.version == 6) != v6:
            continue
        if v6:
            packed = ip.packed
            local = "".join(packed[i:i + 4][::-1].hex().upper() for i in range(0, 16, 4))
            remote = "0" * 32
        else:
            local, remote = _hex_ip(str(ip)), "00000000"
        rows.append(f"{len(rows) - 1:>4}: {local}:{port:04X} {remote}:0000 0A 00000000:00000000 00:00000000 "
                    "00000000     0        0 0 1 0000000000000000 100 0 0 10 0")
    return "\n".join(rows) + "\n"


def _hex_ip(ip: str) -> str:
    return "".join(f"{int(o):02X}" for o in reversed(ip.split(".")))


def _route_table(engine: Probes, c: SimContainer) -> str:
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


def _held_listening(pids) -> list[tuple[sockets.Socket, int]]:
    """The listening sockets pids hold (sim.sockets); a machine that cannot tell is refused in one line."""
    try:
        return sockets.held_listening(pids)
    except sockets.Unobservable as err:
        raise engine_error(500, str(err)) from None


def _host_nameserver() -> str:
    text = _read("/etc/resolv.conf")
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver" and not parts[1].startswith("127."):
            return parts[1]
    return "8.8.8.8"


def _claims(path: str) -> list[dict]:
    """The listen reports of a namespace's programs (what they say they bound; never proof that they listen)."""
    out = []
    for line in _read(path).splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and "port" in rec:
            out.append(rec)
    return out


def _real_of(addr: str, family_: int, v6only: bool, loop: str, iface: str, ips: list[str]) -> str | None:
    """The real address a socket that asked for addr is carried on (as the shim binds it: simsocket.bind)."""
    if family_ == 6 and addr in ("", "::"):
        return v6only_address(loop) if v6only else (iface if ips else loop)
    if binds_all(addr):
        return iface if ips else loop
    try:
        if ipaddress.ip_address(addr).is_loopback:
            return loop
    except ValueError:
        return None
    return iface if addr in ips else None
