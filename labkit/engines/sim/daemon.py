"""`labkit sim`: the embedded engine as a per-user daemon that speaks the Docker Engine API on a unix socket.

Docker's answer to "every terminal and notebook of a user sees the same containers" is a daemon with a
socket; the embedded engine does the same. The daemon is one process holding one SimEngine (its
containers are its child processes), serving the Engine API (labkit.engines.sim.api) on

    $LABKIT_SIM_DIR/engine.sock      (default $XDG_RUNTIME_DIR/labkit, else /tmp/labkit-<uid>; mode 0700)

so any Docker client can be pointed at it: `DOCKER_HOST=unix://…/engine.sock docker ps`, docker-py, and
labkit itself (LABKIT_ENGINE=sim starts it on first use). It never listens on TCP. It stops by itself
after LABKIT_SIM_IDLE seconds (default 1800) with no request and no container running — or, containers
running or not, once no other process of its user is left (the user's kernels, terminals and JupyterLab have
gone); stopping it stops every container it runs. A second start finds the running one; a socket left by a killed daemon
is detected (nobody answers on it) and replaced, and the learner is told that its lab was lost.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from labkit.engines.sim import hostprocs
from labkit.errors import CommandError

START_TIMEOUT = 20.0
LOST = "the previous embedded engine had stopped: its containers and networks are gone"
IDLE_DEFAULT = 1800.0


def runtime_dir() -> str:
    """The user's private folder for the daemon's socket, pid file and log (created 0700; refused if not private)."""
    base = os.environ.get("LABKIT_SIM_DIR")
    if not base:
        xdg = os.environ.get("XDG_RUNTIME_DIR")
        base = os.path.join(xdg, "labkit") if xdg and os.path.isdir(xdg) else f"/tmp/labkit-{os.getuid()}"
    try:
        os.makedirs(base, mode=0o700, exist_ok=True)
        info = os.lstat(base)
    except OSError as err:
        raise CommandError(f"labkit: cannot make the embedded engine's folder {base} ({err.strerror}); "
                           "set LABKIT_SIM_DIR to a folder of yours\n", 1) from None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise CommandError(f"labkit: {base} is not a private folder of yours (it must be yours, mode 0700), so the "
                           "embedded engine will not put its socket there; remove it or set LABKIT_SIM_DIR\n", 1)
    return base


def shared_machine() -> bool:
    """Whether this user's daemon publishes ports on a host address of its own: on a machine several learners
    share (JupyterHub: JUPYTERHUB_USER is set), so `localhost:8080` in one learner's lab is never a classmate's
    container or the hub; LABKIT_PRIVATE_HOST=1 or 0 decides it either way."""
    wanted = os.environ.get("LABKIT_PRIVATE_HOST", "").strip().lower()
    if wanted in ("1", "yes", "true", "on"):
        return True
    if wanted in ("0", "no", "false", "off"):
        return False
    return bool(os.environ.get("JUPYTERHUB_USER"))


def socket_path() -> str:
    """Where the user's daemon listens."""
    return os.path.join(runtime_dir(), "engine.sock")


def serve_command(sock: str, *, private_host: bool = False, confine: bool = False,
                  idle: float | None = None) -> list[str]:
    """The command line of a daemon serving on sock (`labkit sim serve`): the one every starter uses."""
    cmd = [sys.executable, "-m", "labkit.engines.sim.daemon", "serve", "--socket", sock]
    if private_host:
        cmd.append("--private-host")
    if confine:
        cmd.append("--confine")
    if idle is not None:
        cmd += ["--idle", str(idle)]
    return cmd


def _pidfile(sock: str) -> str:
    return sock + ".pid"


@dataclass(frozen=True)
class Status:
    """What `labkit sim status` reports: is a daemon answering on the socket, its pid, and its lab."""

    running: bool
    socket: str
    pid: int | None = None
    containers: int = 0
    running_containers: int = 0
    host_address: str | None = None  # where its published ports listen when not this machine's localhost
    addressing: str | None = None  # how it carries its containers' addresses: "addresses" or "ports" (sim.carrier)

    @property
    def docker_host(self) -> str:
        """The DOCKER_HOST value that points any Docker client at this daemon."""
        return "unix://" + self.socket


def _get(sock: str, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """One GET over the unix socket (no Docker SDK needed)."""
    conn = http.client.HTTPConnection("localhost", timeout=timeout)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        conn.sock = s
        conn.request("GET", path)
        res = conn.getresponse()
        return res.status, res.read()
    finally:
        conn.close()


def status(sock: str | None = None) -> Status:
    """Ask the socket whether a daemon answers, and what it runs."""
    sock = sock or socket_path()
    try:
        code, body = _get(sock, "/v1.41/info")
    except OSError:
        return Status(False, sock)
    if code != 200:
        return Status(False, sock)
    info = json.loads(body or b"{}")
    pid = _read_pid(sock)
    labels = dict(str(label).split("=", 1) for label in info.get("Labels") or [] if "=" in str(label))
    return Status(True, sock, pid, int(info.get("Containers", 0)), int(info.get("ContainersRunning", 0)),
                  labels.get("labkit.host_address"), labels.get("labkit.addressing"))


def _read_pid(sock: str) -> int | None:
    try:
        with open(_pidfile(sock), encoding="utf-8") as f:
            return int(f.read().strip() or 0) or None
    except (OSError, ValueError):
        return None


def _alive(pid: int | None) -> bool:
    """Whether process pid still runs (a zombie does not: a daemon this process started is reaped here)."""
    if not pid:
        return False
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:  # not our child: another process started it
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return hostprocs.has_ended(pid) is not True  # unknown (no /proc, no psutil): os.kill found it


def start(sock: str | None = None, private_host: bool | None = None, idle: float | None = None) -> tuple[Status, str]:
    """Start the daemon unless one answers; (its status, a one-line note: started, already running, or lab lost).
    private_host: publish on a host address of its own (default: on a shared machine, see shared_machine)."""
    sock = sock or socket_path()
    if private_host is None:
        private_host = shared_machine()
    now = status(sock)
    if now.running:
        return now, f"labkit sim: already running at {now.docker_host}"
    os.makedirs(os.path.dirname(sock) or ".", mode=0o700, exist_ok=True)
    lost = ""
    if os.path.exists(sock) or _read_pid(sock):  # a daemon that was killed left its socket or pid file behind
        old = _read_pid(sock)
        if _alive(old):
            _terminate(old, 5.0)  # alive but not answering: it is not serving anyone
        lost = f" ({LOST})"
        for leftover in (sock, _pidfile(sock)):
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass
    cmd = serve_command(sock, private_host=private_host, idle=idle)
    log = open(sock + ".log", "ab")  # noqa: SIM115 - handed to the daemon
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                close_fds=True)
    finally:
        log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        now = status(sock)
        if now.running:
            return now, f"labkit sim: started at {now.docker_host}{lost}"
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    tail = ""
    try:
        with open(sock + ".log", encoding="utf-8", errors="replace") as f:
            tail = (f.read().strip().splitlines() or [""])[-1]
    except OSError:
        pass
    raise CommandError(f"labkit: the embedded engine did not start ({tail or 'no answer on ' + sock}); "
                       f"see {sock}.log\n", 1)


def _terminate(pid: int, wait: float) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop(sock: str | None = None) -> str:
    """Stop the daemon (and with it every container it runs); a one-line note."""
    sock = sock or socket_path()
    pid = _read_pid(sock)
    if not _alive(pid):
        for leftover in (sock, _pidfile(sock)):
            if os.path.exists(leftover):
                os.unlink(leftover)
        return "labkit sim: not running"
    _terminate(pid, 15.0)
    return f"labkit sim: stopped (pid {pid}); its containers are gone"


# -- the daemon process -------------------------------------------------------------------------------
class _Idle:
    """Tracks the last request; the daemon exits after `limit` seconds idle with no container running."""

    def __init__(self, limit: float):
        self.limit = limit
        self.last = time.monotonic()

    def touch(self) -> None:
        self.last = time.monotonic()


def serve(sock: str, private_host: bool = False, idle: float = IDLE_DEFAULT, confine: bool = False) -> None:
    """Run the daemon in this process until SIGTERM or idle: one SimEngine behind the Engine API on `sock`.
    confine (a grading lab): every container process is confined (sim.confine) and this process is not
    dumpable, so no program of the lab can trace it or read its memory, environment or descriptors."""
    from labkit.engines.sim import confine as fence
    from labkit.engines.sim.api import serve as serve_api
    from labkit.engines.sim.engine import SimEngine

    if confine:
        if fence.abi() < 1:
            raise SystemExit("labkit sim: --confine needs Landlock (Linux 5.13 or newer, with landlock among its "
                             "LSMs); this kernel has none")
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    engine = SimEngine(private_host=private_host, confine=confine)
    idler = _Idle(idle)
    if os.path.exists(sock):
        os.unlink(sock)
    old_umask = os.umask(0o077)  # the socket is the user's alone
    try:
        server = serve_api(engine, sock, on_request=idler.touch)
    finally:
        os.umask(old_umask)
    with open(_pidfile(sock), "w", encoding="utf-8") as f:
        f.write(str(os.getpid()))
    done = threading.Event()
    if confine:  # a program that listens on another container's address is refused at once, not only when looked at
        threading.Thread(target=_police, args=(engine, done), daemon=True, name="labkit-police").start()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    present, looked = True, 0.0
    try:
        while not done.wait(1.0):
            busy = any(c.running for c in list(engine.containers.values()))
            if busy and time.monotonic() - looked > 10:
                present, looked = user_present(), time.monotonic()
            if busy and present:
                idler.touch()
            elif time.monotonic() - idler.last > idler.limit:
                break
    finally:
        server.shutdown()
        engine.shutdown()
        if _read_pid(sock) == os.getpid():  # a daemon started on this path since then keeps its socket
            for leftover in (sock, _pidfile(sock)):
                try:
                    os.unlink(leftover)
                except FileNotFoundError:
                    pass


def user_present() -> bool:
    """Whether any process of this user runs besides this daemon and what it started (a kernel, a terminal, a
    JupyterLab): while one does, running containers keep the daemon alive; once the user's server is gone (a
    hub's culler), the daemon ends after its idle time, containers and all."""
    from labkit.engines.sim.procs import family

    mine = family([os.getpid()])
    return bool(hostprocs.of_user(os.getuid()) - mine)


def _police(engine, done: threading.Event, every: float = 0.05) -> None:
    """Refuse foreign listeners every `every` seconds until done (Probes.refuse_foreign_listeners)."""
    while not done.wait(every):
        try:
            engine.refuse_foreign_listeners()
        except Exception:  # noqa: BLE001 - a container changing under the scan: look again next time
            continue


def main(argv: list[str] | None = None) -> int:
    """`python -m labkit.engines.sim.daemon serve --socket PATH [--private-host] [--confine] [--idle S]`."""
    p = argparse.ArgumentParser(prog="labkit.engines.sim.daemon")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--socket", required=True)
    s.add_argument("--private-host", action="store_true")
    s.add_argument("--confine", action="store_true", help="a grading lab: confine every container process")
    s.add_argument("--idle", type=float, default=float(os.environ.get("LABKIT_SIM_IDLE", IDLE_DEFAULT)))
    args = p.parse_args(argv)
    serve(args.socket, args.private_host, args.idle, args.confine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
