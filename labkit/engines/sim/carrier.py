"""How the embedded engine carries its modelled loopback addresses on this machine: addresses mode or ports mode.

The network model (netmodel) gives every container namespace its own loopback addresses (127.77.B.I its
loopback, 127.78.B.I its interfaces, 127.76.B.I its IPv6-only slot, 127.79.0.1 the host's side). A *carrier*
puts a modelled (address, port) on a real socket:

- **addresses mode** (Linux, where all of 127.0.0.0/8 is on `lo`): the modelled address is the real address.
- **ports mode** (one loopback address: a Mac's `lo0` has only 127.0.0.1): every modelled (address, port) is
  carried on a port of 127.0.0.1 that the kernel picks, and a registry folder under the daemon's folder maps
  one onto the other: `port-P` holds "ADDRESS PORT" (who real port P is), `addr-ADDRESS-PORT` holds "P". The
  binder writes both after its bind succeeds (so the kernel, not the registry, decides that P is free); a
  `addr-` entry counts only while the `port-` entry it names still points back at it (a port the kernel gave
  to someone else is never mistaken for the old one). Binds of modelled addresses are serialised by a lock
  file, so two programs asking for the same modelled (address, port) get EADDRINUSE as on Linux.

127.0.0.1 itself (the host's localhost, `--network host`) is carried as itself in both modes.
LABKIT_SIM_ADDRESSING=ports|addresses forces a mode; otherwise ports mode is chosen when a modelled address
cannot be bound. Only TCP is carried in ports mode (the course's programs use TCP; the tools imitate DNS and ping).
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from collections.abc import Callable, Iterator

ADDRESSING_ENV = "LABKIT_SIM_ADDRESSING"  # ports | addresses (unset: chosen by what this machine can bind)
PORTS_ENV = "LABKIT_SIM_PORTS"  # a container process's registry folder (set only in ports mode)
LOOPBACK = "127.0.0.1"
MODES = ("ports", "addresses")

_RealSocket = socket.socket  # captured before a container's shim installs its SimSocket (probes must be real)
BindFn = Callable[[str, int], int]  # binds the real socket to (address, port), returns the real port it got


class LoopbackUnavailable(OSError):
    """This machine cannot carry a modelled address (EADDRNOTAVAIL), said in labkit's words."""

    def __init__(self, address: str, why: str):
        super().__init__(errno.EADDRNOTAVAIL, f"labkit's embedded engine cannot bind {address} on this machine: {why}")


def modelled(ip: str) -> bool:
    """Whether ip is one of the engine's modelled loopback addresses (127.x other than 127.0.0.1)."""
    return ip.startswith("127.") and ip != LOOPBACK


def held(ip: str, port: int) -> bool:
    """Whether a listening socket already holds the real ip:port (a probe bind, released at once)."""
    probe = _RealSocket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((ip, port))
        return False
    except OSError as err:
        return err.errno == errno.EADDRINUSE
    finally:
        probe.close()


def can_bind(ip: str) -> str | None:
    """None when this machine can bind ip, else why not (the OS's words)."""
    probe = _RealSocket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind((ip, 0))
        return None
    except OSError as err:
        return err.strerror or str(err)
    finally:
        probe.close()


class Carrier:
    """Addresses mode: every modelled address is a real loopback address of this machine."""

    mode = "addresses"

    def __init__(self, problem: str | None = None):
        self.problem = problem  # set when forced onto a machine that cannot bind the modelled addresses

    def env(self) -> dict[str, str]:
        """What a container process needs to carry its sockets the same way."""
        return {}

    def bind(self, ip: str, port: int, do_bind: BindFn, stream: bool = True) -> int:
        """Bind a socket for the modelled ip:port (do_bind makes the real bind); returns the real port."""
        try:
            return do_bind(ip, port)
        except OSError as err:
            if err.errno == errno.EADDRNOTAVAIL and modelled(ip):
                raise LoopbackUnavailable(ip, (err.strerror or str(err)) + _HINT) from None
            raise

    def target(self, ip: str, port: int) -> tuple[str, int]:
        """The real (address, port) a connection to the modelled ip:port goes to (ConnectionRefusedError if none)."""
        return ip, port

    def name(self, ip: str, port: int) -> tuple[str, int]:
        """The modelled (address, port) of a real socket address."""
        return ip, port

    def holds(self, ip: str, port: int) -> bool:
        """Whether a listening socket holds the modelled ip:port."""
        return held(ip, port)

    def release(self, real_port: int) -> None:
        """Forget a real port this process registered (its socket is closing)."""


_HINT = (" (this machine has one loopback address, 127.0.0.1: leave LABKIT_SIM_ADDRESSING unset or set it to "
         "'ports' so that containers are carried on ports of 127.0.0.1)")


class PortCarrier(Carrier):
    """Ports mode: modelled (address, port) pairs carried on kernel-picked ports of 127.0.0.1 (see the module)."""

    mode = "ports"

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder
        os.makedirs(folder, mode=0o700, exist_ok=True)

    def env(self) -> dict[str, str]:
        """Container processes find the registry through LABKIT_SIM_PORTS."""
        return {PORTS_ENV: self.folder}

    def bind(self, ip: str, port: int, do_bind: BindFn, stream: bool = True) -> int:
        """Bind 127.0.0.1:0 for the modelled ip:port and register the pair (EADDRINUSE when it is held)."""
        if not modelled(ip):
            return super().bind(ip, port, do_bind, stream)
        if not stream:
            raise LoopbackUnavailable(ip, "in ports mode the embedded engine carries only TCP between containers")
        with self._locked():
            if port and self.holds(ip, port):
                raise OSError(errno.EADDRINUSE, "Address already in use")
            real = do_bind(LOOPBACK, 0)
            shown = port or real
            self._write(f"port-{real}", f"{ip} {shown}")
            if not (shown != port and self._lookup(ip, shown) not in (None, real)):
                self._write(f"addr-{ip}-{shown}", str(real))
            return real

    def target(self, ip: str, port: int) -> tuple[str, int]:
        """127.0.0.1:P for a registered modelled ip:port; ECONNREFUSED when nothing registered it (as Linux)."""
        if not modelled(ip):
            return ip, port
        real = self._lookup(ip, port)
        if real is None:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
        return LOOPBACK, real

    def name(self, ip: str, port: int) -> tuple[str, int]:
        """The modelled pair a real 127.0.0.1:P was registered for (127.0.0.1:P itself when none)."""
        if ip != LOOPBACK:
            return ip, port
        parts = self._read(f"port-{port}").split()
        if len(parts) == 2 and parts[1].isdigit():
            return parts[0], int(parts[1])
        return ip, port

    def holds(self, ip: str, port: int) -> bool:
        """Whether the modelled ip:port is registered and its real port is held by a listener."""
        if not modelled(ip):
            return held(ip, port)
        real = self._lookup(ip, port)
        return real is not None and held(LOOPBACK, real)

    def release(self, real_port: int) -> None:
        """Remove the entries of a real port this process registered."""
        parts = self._read(f"port-{real_port}").split()
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(self.folder, f"port-{real_port}"))
        if len(parts) == 2 and self._read(f"addr-{parts[0]}-{parts[1]}") == str(real_port):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(self.folder, f"addr-{parts[0]}-{parts[1]}"))

    def _lookup(self, ip: str, port: int) -> int | None:
        text = self._read(f"addr-{ip}-{port}")
        if not text.isdigit() or self._read(f"port-{text}") != f"{ip} {port}":
            return None
        return int(text)

    def _read(self, name: str) -> str:
        try:
            with open(os.path.join(self.folder, name), encoding="ascii") as f:
                return f.read().strip()
        except (OSError, ValueError):
            return ""

    def _write(self, name: str, text: str) -> None:
        path = os.path.join(self.folder, name)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write(text)
        os.replace(tmp, path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        import fcntl

        fd = os.open(os.path.join(self.folder, "lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def choose(probe_address: str, folder: str, forced: str | None = None) -> Carrier:
    """The carrier for an engine: forced by LABKIT_SIM_ADDRESSING, else addresses when probe_address (one of
    its modelled addresses) can be bound, else ports. Forced addresses on a machine that cannot bind them gives a
    carrier whose `problem` says so in one line (the engine refuses to start programs with it)."""
    forced = (forced if forced is not None else os.environ.get(ADDRESSING_ENV, "")).strip().lower()
    if forced and forced not in MODES:
        return Carrier(f"labkit: {ADDRESSING_ENV}={forced!r} is not a mode of the embedded engine "
                       "(use 'ports' or 'addresses', or leave it unset)")
    if forced == "ports":
        return PortCarrier(folder)
    why = can_bind(probe_address)
    if why is None:
        return Carrier()
    if forced == "addresses":
        return Carrier(str(LoopbackUnavailable(probe_address, why + _HINT).strerror))
    return PortCarrier(folder)


def from_env() -> Carrier:
    """The carrier of a container process (ports mode when the engine gave it a registry folder)."""
    folder = os.environ.get(PORTS_ENV, "")
    return PortCarrier(folder) if folder else Carrier()
