"""The sockets a container's Python program gets under the embedded engine: Linux's rules, the container's view.

The shim (shim.py) installs these before the learner's program runs. Every container's network namespace
is modelled by real loopback addresses on this machine (netmodel): its *loopback* (127.0.0.1 inside it),
its *interfaces* (eth0 on each network) and an *IPv6-only slot* (where a socket bound to `::` with
IPV6_V6ONLY really listens; nothing can reach it, as on Docker, where containers on networks without
IPv6 have no IPv6 address at all, not even `::1`). What a program sees follows what Linux does in a
Docker container, measured on Docker 20.10 with the course's python:3.13-slim image:

- names given to bind/connect resolve as the container resolves them (its /etc/hosts, then its embedded
  DNS, labkit.netrules): `localhost` → 127.0.0.1, its own hostname → its own address, a neighbour's name →
  the neighbour's address (binding it: EADDRNOTAVAIL), an unknown name → gaierror -2 (-3 without an
  embedded DNS); an AF_INET6 socket finds no IPv6 address for a name (-5), `localhost` gives ::1;
- an address of the other family is refused by the resolver (`("::", 3000)` on an AF_INET socket:
  gaierror -9 "Address family for hostname not supported"); `""` means every address;
- `::` on an AF_INET6 socket serves IPv4 too unless IPV6_V6ONLY is set (then it serves nothing reachable,
  and shares the port with an IPv4 `0.0.0.0`, as asyncio's two-socket servers do); binding a port held by
  a wildcard listener, or a wildcard on a port held by 127.0.0.1, fails with EADDRINUSE;
- connecting to `0.0.0.0` means this namespace's 127.0.0.1; connecting to any IPv6 address (`::1`, `::`)
  fails with EADDRNOTAVAIL (no IPv6 address inside the container);
- getsockname/getpeername/accept give the container's addresses (`('0.0.0.0', 9000)` for `""`).
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket as _socket
import time

from labkit.engines.sim.carrier import LoopbackUnavailable, from_env
from labkit.engines.sim.netmodel import Topology, serves_loopback_from_iface, v6only_address
from labkit.netrules import IPV6_LOOPBACK_NAMES, binds_all

_RealSocket = _socket.socket
_real_getaddrinfo = _socket.getaddrinfo
CID = os.environ.get("LABKIT_SIM_CID", "")
TOPOLOGY = os.environ.get("LABKIT_SIM_TOPOLOGY", "")
LISTEN_LOG = os.environ.get("LABKIT_SIM_LISTEN", "")
HOSTNAME = os.environ.get("HOSTNAME", "")
CARRIER = from_env()  # how modelled addresses are carried here: real loopback addresses, or ports of 127.0.0.1

# glibc's getaddrinfo errors, as Python raises them
EAI_NONAME = (_socket.EAI_NONAME, "Name or service not known")
EAI_AGAIN = (_socket.EAI_AGAIN, "Temporary failure in name resolution")
EAI_NODATA = (getattr(_socket, "EAI_NODATA", -5), "No address associated with hostname")
EAI_ADDRFAMILY = (getattr(_socket, "EAI_ADDRFAMILY", -9), "Address family for hostname not supported")


_cached: tuple[tuple[int, int, int], Topology] | None = None


def _topo() -> Topology:
    """The topology as the engine last wrote it: read again only when the file changed (the engine replaces it
    whole, so a new version is a new inode), so one connect's resolve, route and peer share one read."""
    global _cached
    try:
        st = os.stat(TOPOLOGY)
    except OSError:
        return Topology.load(TOPOLOGY)
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    if _cached is None or _cached[0] != stamp:
        _cached = (stamp, Topology.load(TOPOLOGY))
    return _cached[1]


def _unmap(host: str) -> str:
    return host[7:] if host.startswith("::ffff:") and "." in host else host


def _version(host: str) -> int | None:
    """4 or 6 for an IP literal, None for a name."""
    try:
        return ipaddress.ip_address(host).version
    except ValueError:
        return None


def resolve(host: str, family: int) -> list[str]:
    """The addresses `host` has inside this container for a socket of `family` (glibc's answers and errors)."""
    v = _version(host.split("%")[0])
    if v is not None:
        mapped = v == 6 and host.startswith("::ffff:") and "." in host
        if family == _socket.AF_INET and v == 6 or family == _socket.AF_INET6 and v == 4 and not mapped:
            raise _socket.gaierror(*EAI_ADDRFAMILY)
        return [host]
    if family == _socket.AF_INET6:
        if host.lower() in IPV6_LOOPBACK_NAMES:
            return ["::1"]
        if _ipv4_names(host):
            raise _socket.gaierror(*EAI_NODATA)
        raise _socket.gaierror(*_no_name())
    found = _ipv4_names(host)
    if not found:
        raise _socket.gaierror(*_no_name())
    return found


def _ipv4_names(host: str) -> list[str]:
    topo = _topo()
    return topo.resolve(CID, host)


def _no_name() -> tuple[int, str]:
    """What glibc says for a name nobody answers: NXDOMAIN from the embedded DNS, else no DNS reachable."""
    me = _topo().peer(CID)
    user = me is not None and any(info.get("user") for info in me.networks.values())
    return EAI_NONAME if user else EAI_AGAIN


def _held(real: str, port: int) -> bool:
    """Whether a listening socket already holds the modelled real:port (carrier.holds)."""
    return CARRIER.holds(real, port)


def _say(err: LoopbackUnavailable) -> LoopbackUnavailable:
    """Tell the container's log, in one line, that the engine could not carry an address (never a silent failure)."""
    import sys

    sys.stderr.write(err.strerror + "\n")
    sys.stderr.flush()
    return err


def _listen_records() -> list[dict]:
    try:
        with open(LISTEN_LOG, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return []


def _wildcard_holds(me, port: int) -> bool:
    """Whether a wildcard listener (0.0.0.0, or `::` serving IPv4) holds port in this namespace."""
    return _held(me.iface, port) and any(
        int(r.get("port", -1)) == port and binds_all(str(r.get("addr", ""))) and not r.get("v6only")
        for r in _listen_records())


class SimSocket(_RealSocket):
    """A socket whose addresses are the container's, carried over real loopback TCP."""

    _sim_host = None
    _sim_peer = None  # (address, port) it connected to, as the container sees it
    _v6only = False
    _registered = None  # the real port this socket registered with the carrier (ports mode)

    def _inet(self) -> bool:
        return self.family in (_socket.AF_INET, _socket.AF_INET6)

    def _real(self, host: str, port: int, extra=()):
        if self.family == _socket.AF_INET6:
            return ("::ffff:" + host, port, *extra)
        return (host, port)

    def _is_v6only(self) -> bool:
        try:
            return bool(super().getsockopt(_socket.IPPROTO_IPV6, _socket.IPV6_V6ONLY))
        except OSError:
            return False

    def bind(self, address):
        if not self._inet():
            return super().bind(address)
        me = _topo().peer(CID)
        if me is None:
            return super().bind(address)
        host, port = address[0], address[1]
        if host == "":
            host = "0.0.0.0" if self.family == _socket.AF_INET else "::"
        ip = resolve(host, self.family)[0].split("%")[0]
        plain = _unmap(ip)
        v6only = self.family == _socket.AF_INET6 and self._is_v6only()
        if self.family == _socket.AF_INET6 and _version(plain) == 6:
            if plain != "::":  # ::1 and every other IPv6 address: the container has none
                raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
            real = v6only_address(me.loopback) if v6only else (me.iface if me.networks else me.loopback)
        elif binds_all(plain):
            real = me.iface if me.networks else me.loopback
        elif ipaddress.ip_address(plain).is_loopback:
            real = me.loopback
        elif any(info["ip"] == plain for info in me.networks.values()):
            real = me.iface
        else:
            raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
        if port and self._conflicts(me, real, plain, v6only, port):
            raise OSError(errno.EADDRINUSE, "Address already in use")
        self._sim_host, self._v6only = ip, v6only
        if self.family == _socket.AF_INET6:
            try:  # the real address is IPv4-mapped: the real socket must take IPv4
                self.setsockopt(_socket.IPPROTO_IPV6, _socket.IPV6_V6ONLY, 0)
            except OSError:
                pass
        self._carry(real, port, address[2:])

    def _carry(self, real: str, port: int, extra=()) -> None:
        """Bind the real socket for the modelled real:port through the carrier (ports mode: a port of 127.0.0.1)."""
        def do_bind(ip: str, p: int) -> int:
            super(SimSocket, self).bind(self._real(ip, p, extra))
            return super(SimSocket, self).getsockname()[1]

        try:
            got = CARRIER.bind(real, port, do_bind, stream=self.type == _socket.SOCK_STREAM)
        except LoopbackUnavailable as err:
            raise _say(err) from None
        if CARRIER.mode == "ports" and got:
            self._registered = got

    def _modelled(self, addr):
        """A real socket address as the model names it (ports mode: 127.0.0.1:P back to its modelled pair)."""
        if not self._inet() or not isinstance(addr, tuple):
            return addr
        ip, port = CARRIER.name(_unmap(addr[0]), addr[1])
        if self.family == _socket.AF_INET6:
            return ("::ffff:" + ip if "." in ip else ip, port, *addr[2:])
        return (ip, port)

    def close(self):
        if self._registered:
            CARRIER.release(self._registered)
            self._registered = None
        super().close()

    def _conflicts(self, me, real: str, plain: str, v6only: bool, port: int) -> bool:
        """Linux's port sharing across the namespace's addresses (the same real address conflicts by itself)."""
        if v6only:
            return False
        if binds_all(plain) and real != me.loopback:
            return _held(me.loopback, port)  # a wildcard after 127.0.0.1 on the same port
        if real == me.loopback and me.networks:
            return _wildcard_holds(me, port)  # 127.0.0.1 after a wildcard on the same port
        return False

    def getsockopt(self, level, optname, *args):
        if self._sim_host is not None and level == _socket.IPPROTO_IPV6 and optname == _socket.IPV6_V6ONLY:
            return int(self._v6only)
        return super().getsockopt(level, optname, *args)

    def listen(self, *args):
        super().listen(*args)
        if self._inet() and LISTEN_LOG:
            port = self._modelled(super().getsockname())[1]
            record = {"addr": _unmap(self._sim_host or ("0.0.0.0" if self.family == _socket.AF_INET else "::")),
                      "port": port, "family": 6 if self.family == _socket.AF_INET6 else 4}
            if self._v6only:
                record["v6only"] = True
            with open(LISTEN_LOG, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")

    def _route(self, address):
        host, port = address[0], address[1]
        ip = _unmap(resolve(host, self.family)[0])
        self._sim_peer = ("127.0.0.1" if ip == "0.0.0.0" else ip, port)
        if _version(ip) == 6:  # no IPv6 address inside the container: no route from one
            raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
        if ip == "0.0.0.0":  # Linux: connecting to INADDR_ANY means this host's 127.0.0.1
            ip = "127.0.0.1"
        topo = _topo()
        kind, real = topo.route(CID, ip)
        return kind, real, port, topo.peer(CID)

    def connect(self, address):
        if not self._inet():
            return super().connect(address)
        kind, real, port, me = self._route(address)
        if kind == "refused":
            raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
        if kind == "unreachable":
            raise OSError(errno.ENETUNREACH, "Network is unreachable")
        if kind == "timeout":
            timeout = self.gettimeout()
            if timeout == 0.0:
                raise BlockingIOError(errno.EINPROGRESS, "Operation now in progress")
            time.sleep(timeout if timeout is not None else 127.0)
            raise TimeoutError(errno.ETIMEDOUT, "Connection timed out")
        source, target = (me.loopback if real == me.loopback else me.iface), real
        if real == me.loopback and me.networks and not _held(real, port) and serves_loopback_from_iface(LISTEN_LOG,
                                                                                                        port):
            target = me.iface  # a wildcard listener really listens on the interfaces' address only
        try:
            self._carry(source, 0)
        except LoopbackUnavailable:
            raise
        except OSError:
            pass  # already bound by the program: it leaves from where it bound
        ip, real_port = CARRIER.target(target, port)
        return super().connect(self._real(ip, real_port))

    def connect_ex(self, address):
        try:
            self.connect(address)
            return 0
        except _socket.gaierror:
            raise
        except OSError as err:
            return err.errno or errno.EIO

    def accept(self):
        conn, addr = super().accept()
        return conn, self._translate(addr)

    def recvfrom(self, *args):
        data, addr = super().recvfrom(*args)
        return data, self._translate(addr)

    def recvfrom_into(self, *args):
        n, addr = super().recvfrom_into(*args)
        return n, self._translate(addr)

    def getpeername(self):
        addr = super().getpeername()
        if self._sim_peer is not None and self._inet():
            return self._shown(self._sim_peer[0], self._modelled(addr))
        return self._translate(addr)

    def getsockname(self):
        addr = super().getsockname()
        if self._sim_host is not None and self._inet():
            return (self._sim_host, *self._modelled(addr)[1:])
        if self._inet() and self._over_loopback():
            return self._shown("127.0.0.1", self._modelled(addr))  # carried to a wildcard listener, arrived on 127.0.0.1
        return self._translate(addr)

    def _over_loopback(self) -> bool:
        """A connected socket whose other end is this namespace's loopback: both ends are 127.0.0.1 inside."""
        me = _topo().peer(CID)
        try:
            return me is not None and _unmap(self._modelled(super().getpeername())[0]) == me.loopback
        except OSError:
            return False

    def _shown(self, ip: str, real: tuple):
        if self.family == _socket.AF_INET6:
            return ("::ffff:" + ip if "." in ip else ip, *real[1:])
        return (ip, *real[1:])

    def _translate(self, addr):
        if not self._inet() or not isinstance(addr, tuple):
            return addr
        addr = self._modelled(addr)
        sim = _topo().sim_address_of(CID, _unmap(addr[0]))
        if self.family == _socket.AF_INET6:
            return ("::ffff:" + sim, *addr[1:])
        return (sim, *addr[1:])


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """Resolve as the container does (its /etc/hosts, then its embedded DNS); literals and passive binds pass."""
    if host is None or isinstance(host, bytes) or _version(str(host).split("%")[0]) is not None:
        return _real_getaddrinfo(host, port, family, type, proto, flags)
    if family == _socket.AF_INET6:
        ips = resolve(host, family)
    elif host.lower() in IPV6_LOOPBACK_NAMES and family == 0:
        ips = ["127.0.0.1", "::1"] if host.lower() == "localhost" else ["::1"]
    else:
        ips = resolve(host, _socket.AF_INET)
    out = []
    for ip in ips:
        fam = _socket.AF_INET6 if ":" in ip else _socket.AF_INET
        out.extend(_real_getaddrinfo(ip, port, fam, type, proto, flags | _socket.AI_NUMERICHOST))
    return out


def gethostbyname(name):
    """IPv4 address of a name, through the container's /etc/hosts and DNS."""
    return resolve(name, _socket.AF_INET)[0]


def gethostbyaddr(ip):
    """(name, aliases, addresses) of an address or name, as glibc answers inside the container: /etc/hosts (its
    localhost and own-hostname lines), then the embedded DNS's PTR record (NAME.NETWORK); herror otherwise."""
    ip = str(ip)
    if _version(ip.split("%")[0]) is None:
        ip = resolve(ip, _socket.AF_INET)[0]
    if ip in ("127.0.0.1", "::1"):
        return ("localhost", [], [ip])
    me = _topo().peer(CID)
    own = [n.get("ip") for n in me.networks.values()][:1] if me is not None else []
    if HOSTNAME and ip in own:  # /etc/hosts: the container's first address is its hostname
        return (HOSTNAME, [], [ip])
    name = _topo().reverse(CID, ip)
    if name is None:
        raise _socket.herror(1, "Unknown host")
    return (name, [], [ip])


def getnameinfo(sockaddr, flags):
    """(host, service) of a socket address, the host named as gethostbyaddr names it (the address itself when it
    has no name, unless NI_NAMEREQD); the service from this machine's services table."""
    host, port = sockaddr[0], sockaddr[1]
    if flags & _socket.NI_NUMERICSERV:
        service = str(port)
    else:
        try:
            service = _socket.getservbyport(port, "udp" if flags & _socket.NI_DGRAM else "tcp")
        except OSError:
            service = str(port)
    if flags & _socket.NI_NUMERICHOST:
        return (host, service)
    try:
        return (gethostbyaddr(host)[0], service)
    except OSError:
        if flags & _socket.NI_NAMEREQD:
            raise _socket.gaierror(_socket.EAI_NONAME, "Name or service not known") from None
        return (host, service)


def install() -> None:
    """Replace the socket module's entry points with the container-aware ones."""
    _socket.socket = SimSocket
    _socket.SocketType = SimSocket
    _socket.getaddrinfo = getaddrinfo
    _socket.gethostbyname = gethostbyname
    _socket.gethostbyaddr = gethostbyaddr
    _socket.getnameinfo = getnameinfo
    _socket.gethostname = lambda: HOSTNAME
    _uname = os.uname

    def uname():
        real = _uname()
        return os.uname_result((real.sysname, HOSTNAME or real.nodename, real.release, real.version, real.machine))

    os.uname = uname  # platform.node() and friends: the container's hostname
