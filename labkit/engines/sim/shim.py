"""Runs a container's Python program inside the embedded engine's network model.

    python -m labkit.engines.sim.shim -- python3 server.py ARGS…

Before the program starts, socket.socket is replaced by a subclass that maps the container's
addresses onto real loopback addresses (netmodel), resolves names through the container's
embedded DNS, and tells the engine when the program starts listening. The program itself is the
learner's real code, run unchanged.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import runpy
import signal
import socket as _socket
import sys
import time

from labkit.engines.sim.netmodel import Topology, serves_loopback_from_iface

_RealSocket = _socket.socket
_real_getaddrinfo = _socket.getaddrinfo
CID = os.environ.get("LABKIT_SIM_CID", "")
TOPOLOGY = os.environ.get("LABKIT_SIM_TOPOLOGY", "")
LISTEN_LOG = os.environ.get("LABKIT_SIM_LISTEN", "")
HOSTNAME = os.environ.get("HOSTNAME", "")


def _topo() -> Topology:
    return Topology.load(TOPOLOGY)


def _unmap(host: str) -> str:
    return host[7:] if host.startswith("::ffff:") else host


def _is_any(host: str) -> bool:
    return host in ("", "0.0.0.0", "::")


class SimSocket(_RealSocket):
    """A socket whose addresses are the container's, carried over real loopback TCP."""

    _sim_host = None

    def _inet(self) -> bool:
        return self.family in (_socket.AF_INET, _socket.AF_INET6)

    def _real(self, host: str, port: int, extra=()):
        if self.family == _socket.AF_INET6:
            return ("::ffff:" + host, port, *extra)
        return (host, port)

    def bind(self, address):
        if not self._inet():
            return super().bind(address)
        host, port = address[0], address[1]
        me = _topo().peer(CID)
        plain = _unmap(host)
        if me is None:
            return super().bind(address)
        if _is_any(plain):
            real = me.iface if me.networks else me.loopback
        elif plain == "::1" or ipaddress.ip_address(plain).is_loopback:
            real = me.loopback
        elif any(info["ip"] == plain for info in me.networks.values()):
            real = me.iface
        else:
            raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
        self._sim_host = host
        if self.family == _socket.AF_INET6:
            try:
                self.setsockopt(_socket.IPPROTO_IPV6, _socket.IPV6_V6ONLY, 0)
            except OSError:
                pass
        return super().bind(self._real(real, port, address[2:]))

    def listen(self, *args):
        super().listen(*args)
        if self._inet() and LISTEN_LOG:
            port = super().getsockname()[1]
            with open(LISTEN_LOG, "a", encoding="utf-8") as f:
                f.write(json.dumps({"addr": _unmap(self._sim_host or "0.0.0.0"), "port": port,
                                    "family": 6 if self.family == _socket.AF_INET6 else 4}) + "\n")

    def _route(self, address):
        host, port = _unmap(address[0]), address[1]
        topo = _topo()
        try:
            ipaddress.ip_address(host)
        except ValueError:
            ips = topo.resolve(CID, host) if host not in ("localhost",) else ["127.0.0.1"]
            if not ips:
                raise _socket.gaierror(_socket.EAI_NONAME, "Name or service not known") from None
            host = ips[0]
        kind, real = topo.route(CID, host)
        me = topo.peer(CID)
        return kind, real, port, me

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
        try:
            source = me.loopback if real == me.loopback else me.iface
            super().bind(self._real(source, 0))
        except OSError:
            pass
        try:
            return super().connect(self._real(real, port))
        except ConnectionRefusedError:
            if real == me.loopback and me.networks and serves_loopback_from_iface(LISTEN_LOG, port):
                return super().connect(self._real(me.iface, port))
            raise

    def connect_ex(self, address):
        try:
            self.connect(address)
            return 0
        except OSError as err:
            return err.errno or errno.EIO

    def accept(self):
        conn, addr = super().accept()
        return conn, self._translate(addr)

    def getpeername(self):
        return self._translate(super().getpeername())

    def getsockname(self):
        addr = super().getsockname()
        if self._sim_host is not None and self._inet():
            return (self._sim_host, *addr[1:])
        return self._translate(addr)

    def _translate(self, addr):
        if not self._inet() or not isinstance(addr, tuple):
            return addr
        sim = _topo().sim_address_of(CID, _unmap(addr[0]))
        if self.family == _socket.AF_INET6:
            return ("::ffff:" + sim, *addr[1:])
        return (sim, *addr[1:])


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """Resolve through the container's embedded DNS; IP literals and passive binds pass through."""
    if host is None or isinstance(host, bytes):
        return _real_getaddrinfo(host, port, family, type, proto, flags)
    try:
        ipaddress.ip_address(host)
        return _real_getaddrinfo(host, port, family, type, proto, flags)
    except ValueError:
        pass
    if host in ("localhost", HOSTNAME):
        ips = ["127.0.0.1"] if host == "localhost" else [_own_ip()]
    else:
        ips = _topo().resolve(CID, host)
    if not ips:
        raise _socket.gaierror(_socket.EAI_NONAME, "Name or service not known")
    out = []
    for ip in ips:
        out.extend(_real_getaddrinfo(ip, port, _socket.AF_INET, type, proto, flags | _socket.AI_NUMERICHOST))
    return out


def _own_ip() -> str:
    me = _topo().peer(CID)
    if me and me.networks:
        return next(iter(me.networks.values()))["ip"]
    return "127.0.0.1"


def gethostbyname(name):
    """IPv4 address of a name, through the container's DNS."""
    return getaddrinfo(name, None)[0][4][0]


def install() -> None:
    """Replace the socket module's entry points with the container-aware ones."""
    _socket.socket = SimSocket
    _socket.SocketType = SimSocket
    _socket.getaddrinfo = getaddrinfo
    _socket.gethostbyname = gethostbyname
    _socket.gethostname = lambda: HOSTNAME


def run_python(argv: list[str]) -> None:
    """Run `python3 [-u] (-m MOD | -c CODE | FILE) ARGS…` in this interpreter."""
    args = argv[1:]
    while args and args[0] in ("-u", "-B", "-E", "-s", "-S", "-I", "-q"):
        if args[0] == "-u":
            sys.stdout.reconfigure(write_through=True)
            sys.stderr.reconfigure(write_through=True)
        args = args[1:]
    if not args:
        sys.stderr.write("labkit sim: an interactive python has no terminal here\n")
        raise SystemExit(0)
    if args[0] == "-m" and len(args) > 1:
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    elif args[0] == "-c" and len(args) > 1:
        sys.argv = ["-c", *args[2:]]
        code = compile(args[1], "<string>", "exec")
        exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
    elif args[0] == "--version" or args[0] == "-V":
        print(f"Python {sys.version.split()[0]}")
    else:
        sys.argv = list(args)
        sys.path.insert(0, os.path.dirname(os.path.abspath(args[0])))
        runpy.run_path(args[0], run_name="__main__")


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    install()
    # a container's main program is PID 1: signals it has no handler for are ignored
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]
    run_python(argv)


if __name__ == "__main__":
    main()
