"""The process runtime: a container's main program and its execs run as real processes (Python through the
socket shim), with the container's environment and working directory; start, stop, kill, restart and the
ports a start publishes."""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import socket
import threading

from labkit.engines.sim import restarts, tools, users
from labkit.engines.sim.images import PATH
from labkit.engines.sim.model import (
    SimContainer,
    _new_id,
    _now,
)
from labkit.engines.sim.netmodel import (  # HOST_LOOPBACK: where published-port proxies connect from
    HOST_LOOPBACK,
    real_addresses,
)
from labkit.engines.sim.procs import handles as _handles
from labkit.engines.sim.procs import process_table
from labkit.engines.sim.stdinfeed import FedCtx
from labkit.engines.sim.tools import files
from labkit.errors import EngineError, engine_error


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")  # a terminal's onlcr: every \n, whatever came before it


class Runtime:
    """The process runtime: start, stop, kill, restart, exec. Mixed into SimEngine."""

    def start(self, cid: str) -> None:
        """POST /containers/ID/start: endpoints, published ports, then the main program. A start by hand starts
        the restart policy's count again."""
        with self.lock:
            c = self._ctr(cid)
            if c.running or c.restarting:
                return
            c.stopped_by_hand, c.restart_count, c.restart_delay = False, 0, 0.0
            self._launch(c)
        c.settled.wait(5)  # the program has started: it waits, serves, or has already finished

    def _launch(self, c: SimContainer) -> None:
        """Start a container's main program (the lock held): endpoints, published ports, then the program."""
        argv = c.argv
        if argv and argv[0] != "/entrypoint.sh" and os.path.basename(argv[0]) not in c.image.tools:
            raise engine_error(400, "failed to create shim task: OCI runtime create failed: runc create failed: "
                                f'unable to start container process: exec: "{argv[0]}": executable file not '
                                "found in $PATH: unknown")
        self.check_addressing()  # issue 27 (helper-C): one line when this machine cannot carry the lab's addresses
        try:
            users.resolve(c.config.get("User") or "", "curl" in c.image.tools)
        except users.UnknownAccount as err:  # dockerd's start fails so, and leaves its reason in State
            c.exit_code, c.error = 128, str(err)
            raise engine_error(500, str(err)) from None
        if c.ns_owner and not self.containers[c.ns_owner].running:
            raise engine_error(409, f"cannot join network of a non running container: {c.ns_owner}")
        for name in c.networks:  # 404 before anything changes: by ID once the container had an endpoint there
            net = self._net_or_none(name)
            if net is None or c.network_ids.get(name, net.id) != net.id:  # gone, or re-made under its name
                raise engine_error(404, f"network {c.network_ids.get(name, name)} not found")
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
        if c.stdin_feed is not None and c.stdin_feed.read:
            c.stdin_feed = None  # a past run read it to its end: this run waits for a client of its own
        open(c.listen_path, "w").close()
        self._write_topology()
        c.settled = threading.Event()
        c.thread = threading.Thread(target=self._main, args=(c,), daemon=True, name=f"sim-{c.name}")
        c.thread.start()

    def _publish(self, c: SimContainer) -> None:
        if not self._publishing(c):  # only --internal networks: dockerd maps nothing (containers.py)
            return
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
    def _program_env(c: SimContainer, extra: list[str] = (), user: str = "", workdir: str = "") -> dict[str, str]:
        """The environment a program in the container sees (image and run -e/exec -e variables; HOME the user's
        home unless set, as runc sets it), its user (the container's, or an exec's -u) and working folder."""
        # in dockerd's order: PATH, HOSTNAME, TERM with a tty, then the container's variables, HOME last
        env = {"PATH": PATH, "HOSTNAME": c.config["Hostname"], **({"TERM": "xterm"} if c.config.get("Tty") else {})}
        env.update(e.split("=", 1) for e in [*(c.config.get("Env") or []), *extra] if "=" in e)
        env["HOSTNAME"] = c.config["Hostname"]
        env["LABKIT_USER"] = user or c.config.get("User") or "root"
        env.setdefault("HOME", users.resolve(env["LABKIT_USER"], "curl" in c.image.tools).home)
        # the working folder, carried for labkit's tools (files.workdir) and never shown: a program started
        # without a shell has no PWD on Docker, and a shell sets its own
        env["LABKIT_PWD"] = workdir or c.config.get("WorkingDir") or "/"
        return env

    def _main(self, c: SimContainer) -> None:
        env = self._program_env(c)
        ctx = FedCtx(self, c.id, self._cwd(c), env, c.image.tools, stop=c.stop_event,
                     stdin_open=bool(c.config.get("OpenStdin")), on_process=c.procs.append,
                     logs=(c.stdout_path, c.stderr_path), settled=c.settled, tty=bool(c.config.get("Tty")),
                     container=c)
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
            if not c.stopped_by_hand and c.id in self.containers and \
                    restarts.wanted(c.restart_policy, c.exit_code, c.restart_count):
                self._schedule_restart(c)
        c.done.set()
        c.settled.set()
        if c.auto_remove:
            with self.lock:
                self._forget(c)

    def _schedule_restart(self, c: SimContainer) -> None:
        """The container exited by itself and its policy restarts it: restarting, after the back-off (lock held)."""
        c.status = "restarting"
        c.restart_delay = restarts.next_delay(c.restart_delay, c.finished - c.started)
        c.restart_timer = threading.Timer(c.restart_delay, self._restart_by_policy, (c,))
        c.restart_timer.daemon = True
        c.restart_timer.start()

    def _restart_by_policy(self, c: SimContainer) -> None:
        with self.lock:
            if not c.restarting or c.id not in self.containers:
                return
            c.restart_timer = None
            c.restart_count += 1
            try:
                self._launch(c)
            except EngineError as err:  # its network went away meanwhile, its port was taken: it stays exited
                c.status, c.error = "exited", err.message

    def _cancel_restart(self, c: SimContainer) -> bool:
        """Stop a pending restart (the container stays exited); whether there was one."""
        if not c.restarting:
            return False
        if c.restart_timer is not None:
            c.restart_timer.cancel()
            c.restart_timer = None
        c.status = "exited"
        return True

    def _stopped(self, c: SimContainer) -> None:
        c.status = "exited"
        c.paused = False
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

    def _cwd(self, c: SimContainer, workdir: str = "") -> str:
        wd = workdir or c.config.get("WorkingDir") or "/"
        path = os.path.join(c.root, "rootfs") + wd
        os.makedirs(path, exist_ok=True)
        return path

    def _kill(self, c: SimContainer) -> None:
        c.stopped_by_hand = True
        if self._cancel_restart(c):
            return
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
        c.stopped_by_hand = True
        if self._cancel_restart(c) or not c.running:
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

    def exec_run(self, cid: str, cmd: list[str], tty: bool, env: list[str], detach: bool = False, user: str = "",
                 workdir: str = "", stdin=None) -> tuple[int, str, str]:
        """Run cmd in the container (as user, in workdir: exec's -u and -w): its exit code, stdout and stderr. A
        user the image lacks, a relative or missing workdir fail as runc fails them (126, its words on stdout).
        stdin: what holds the exec's stdin feed (`stdin_feed`, stdinfeed) when the client attached its stdin."""
        c = self._ctr(cid)
        if not c.running:
            raise engine_error(409, f"Container {c.id} is not running")
        try:
            users.resolve(user or c.config.get("User") or "", "curl" in c.image.tools)
        except users.UnknownAccount as err:
            return 126, f"{err}\r\n", ""
        env_now = self._program_env(c, env, user, workdir)
        if workdir:
            problem = self._workdir_problem(c, env_now, workdir)
            if problem:
                return 126, problem + "\r\n", ""
        if stdin is None:
            ctx = tools.Ctx(self, c.id, self._cwd(c, workdir), env_now, c.image.tools, stop=c.stop_event,
                            on_process=c.procs.append, tty=tty)
        else:
            ctx = FedCtx(self, c.id, self._cwd(c, workdir), env_now, c.image.tools, stop=c.stop_event,
                         on_process=c.procs.append, tty=tty, stdin_open=True, container=stdin)
        try:
            code = tools.run(ctx, cmd)
        except tools.NotFound as err:
            return 126, ("OCI runtime exec failed: exec failed: unable to start container process: exec: "
                         f'"{err}": executable file not found in $PATH: unknown\r\n'), ""
        out, err = "".join(ctx.out), "".join(ctx.err)
        if tty:  # a terminal's line discipline ends each line with \r\n (onlcr); the client reads one stream
            return code, _crlf(out), _crlf(err)
        return code, out, err

    def _workdir_problem(self, c: SimContainer, env: dict[str, str], workdir: str) -> str:
        """Why an exec cannot start in workdir, as the CLI prints it (runc's words, recorded on dockerd 20.10), or
        ""."""
        failed = "OCI runtime exec failed: exec failed:"
        if not workdir.startswith("/"):
            return f"{failed} Cwd must be an absolute path: unknown"
        kind = files.kind(tools.Ctx(self, c.id, self._cwd(c), env, c.image.tools), workdir)
        if kind == "dir":
            return ""
        chdir = f'{failed} unable to start container process: chdir to cwd ("{workdir}") set in config.json failed'
        if kind is None:
            return f"{chdir}: no such file or directory: unknown"
        return (f"{chdir}: not a directory: unknown: Are you trying to mount a directory onto a file (or vice-versa)? "
                "Check if the specified host path exists and is the expected type")

    # -- signals, pause, top ------------------------------------------------------------------------
    def kill(self, cid: str, sig: int = signal.SIGKILL) -> None:
        """POST /containers/ID/kill: SIGKILL ends the container at once (137). Any other signal goes to its main
        process only if that process handles it: a container's PID 1 is spared by the kernel from signals it has no
        handler for (a built-in tool as the main program handles none)."""
        c = self._ctr(cid)
        if self._cancel_restart(c):  # dockerd: a kill of a restarting container only ends its restarts
            c.stopped_by_hand = True
            return
        if not c.running:
            raise engine_error(409, f"Cannot kill container: {cid}: Container {c.id} is not running")
        c.stopped_by_hand = True
        if sig == signal.SIGKILL:
            self._kill(c)
            c.done.wait(10)
            return
        main = next((p for p in c.procs if p.poll() is None), None)
        handled = main is not None and (sig in (signal.SIGSTOP, signal.SIGCONT) or _handles(main.pid, sig))
        if handled is None:  # no /proc (a Mac): whether PID 1 would be spared cannot be known, so not guessed
            raise engine_error(400, f"labkit's embedded engine cannot tell on this machine whether the container's "
                                    f"program handles signal {int(sig)}; use docker stop, or docker kill for SIGKILL")
        if handled:
            try:
                os.kill(main.pid, sig)
            except ProcessLookupError:
                pass

    def pause(self, cid: str) -> None:
        """POST /containers/ID/pause: every process of the container stops (SIGSTOP to each process group)."""
        c = self._ctr(cid)
        if not c.running:
            raise engine_error(409, f"Container {c.id} is not running")
        if c.paused:
            raise engine_error(409, f"Container {c.id} is already paused")
        self._signal_groups(c, signal.SIGSTOP)
        c.paused = True

    def unpause(self, cid: str) -> None:
        """POST /containers/ID/unpause: the container's processes go on (SIGCONT)."""
        c = self._ctr(cid)
        if not c.paused:
            raise engine_error(409, f"Container {c.id} is not paused")
        self._signal_groups(c, signal.SIGCONT)
        c.paused = False

    @staticmethod
    def _signal_groups(c: SimContainer, sig: int) -> None:
        for p in c.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass

    def top(self, cid: str, ps_args: str | None = None) -> dict:
        """GET /containers/ID/top: this machine's `ps` (default -ef) for the container's processes, as dockerd
        runs it; each command shown as the container runs it (python3 …, not the sim's shim around it)."""
        c = self._ctr(cid)
        if not c.running:
            raise engine_error(409, f"Container {c.id} is not running")
        return process_table(c, (ps_args or "-ef").split(), os.getpid())

    def shutdown(self) -> None:
        """End every program the engine started and remove its files (also at interpreter exit)."""
        running = [c for c in list(self.containers.values()) if c.running]
        for c in running:
            self._kill(c)
        for c in running:  # a container never started has no program to wait for
            c.done.wait(2)
        for c in list(self.containers.values()):
            for f in c.forwarders:
                f.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class _Forwarder:
    """A published port: the simulated host's HOSTPORT forwarded to the container's interfaces."""

    def __init__(self, engine: Runtime, c: SimContainer, host_ip: str, host_port: int, port: int):
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
        self.engine.refuse_foreign_listeners()  # the port leads to this container's programs, nobody else's
        up = socket.socket()
        try:
            carrier = self.engine.carrier  # issue 27 (helper-C): real addresses, or ports of 127.0.0.1
            carrier.bind(HOST_LOOPBACK, 0, lambda ip, p: (up.bind((ip, p)), up.getsockname()[1])[1])
            up.connect(carrier.target(iface, self.port))
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
