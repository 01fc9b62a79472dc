"""DockerEngine: the command contract's backend on any daemon serving Docker's Engine API, via the Docker SDK.

It is the engine of the docker kind as it is, and the base of the sim's (labkit.engines.simclient): one
client for both daemons. Every method speaks Engine API shapes (the dicts the API returns) and raises
EngineError with the daemon's own message; commands.py turns them into CLI output with the shared renderer.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from labkit.engines import readiness
from labkit.engines.apiclient.connect import connect, engine_address, unreachable_message
from labkit.errors import CommandError, EngineError, EngineUnreachable, LabkitError, engine_error


def _api_error(err) -> EngineError:
    import docker

    if isinstance(err, docker.errors.APIError):
        status = err.response.status_code if err.response is not None else 500
        msg = err.explanation or str(err)
        if isinstance(msg, bytes):
            msg = msg.decode(errors="replace")
        return engine_error(status, str(msg).strip())
    return engine_error(500, str(err))


def _shares_this_namespace(pid: int) -> bool:
    """True when a local container's process is in this machine's own network namespace (`--network host`)
    but in a PID namespace of its own (a real container; the embedded engine's programs share both and
    answer `cat /proc/net/tcp` for themselves)."""
    try:
        return (os.readlink(f"/proc/{pid}/ns/net") == os.readlink("/proc/self/ns/net")
                and os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid"))
    except OSError:
        return False


def _owned_socket_inodes(pid: int) -> set[str] | None:
    """Inodes of the sockets held by every process in the PID namespace of local process pid (a
    container's processes); None when /proc cannot say (the process is gone)."""
    try:
        pid_ns = os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None
    inodes: set[str] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") != pid_ns:
                continue
            fds = os.listdir(f"/proc/{entry}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{entry}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def _host_network_text(pid: int) -> str | None:
    """The lines of this machine's /proc/net/tcp{,6} whose sockets a host-network container's processes
    hold (the namespace is the host's, so every other line is someone else's); None once it is gone."""
    inodes = _owned_socket_inodes(pid)
    if inodes is None:
        return None
    lines = []
    for name in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{name}") as f:
            lines += [ln for ln in f.read().splitlines()[1:] if len(ln.split()) > 9 and ln.split()[9] in inodes]
    return "\n".join(lines)


def _namespace_proc(pid: int) -> str | None:
    """/proc/PID when that process is on this machine in a network namespace of its own (so its
    /proc/PID/net/tcp is the container's view); None otherwise (a remote daemon, or the embedded engine,
    whose programs share this machine's namespace and answer `cat /proc/net/tcp` for themselves)."""
    if not pid:
        return None
    try:
        if os.readlink(f"/proc/{pid}/ns/net") == os.readlink("/proc/self/ns/net"):
            return None
    except OSError:
        return None
    return f"/proc/{pid}"


class DockerEngine:
    """An Engine (labkit.engines.base) over docker.APIClient (low-level: one API call per operation); its name,
    "docker", is the kind's: the sim's client (a subclass) names itself "sim"."""

    name = "docker"
    host_address: str | None = None  # published ports listen on this machine (or the daemon's)

    def __init__(self, address: str | None = None) -> None:
        self.address = address or engine_address()[0]
        self._fixed = address is not None
        self._api = None

    @property
    def api(self):
        """The SDK client, connected on first use."""
        if self._api is None:
            self._api = connect(address=self.address if self._fixed else None)
        return self._api

    def unreachable(self, err: BaseException) -> LabkitError:
        """The one-line error for a daemon that stopped answering (an engine may do more, e.g. restart)."""
        return EngineUnreachable(unreachable_message(self.address, err) + "\n", 1)

    def _call(self, fn, *args, **kwargs):
        import docker
        import requests

        try:
            return fn(*args, **kwargs)
        except docker.errors.APIError as err:
            raise _api_error(err) from None
        except (requests.exceptions.ConnectionError, docker.errors.DockerException) as err:
            raise self.unreachable(err) from None

    # -- engine ---------------------------------------------------------------------------
    def version(self) -> dict:
        """The engine's /version document."""
        return self._call(self.api.version)

    def client_info(self) -> dict[str, str]:
        """What the client side is: labkit and the SDK, the API version, the address."""
        import platform

        import docker

        from labkit.version import __version__

        return {
            "Version": f"labkit {__version__} (docker SDK {docker.__version__})",
            "API version": str(self.api.api_version),
            "Python version": platform.python_version(),
            "OS/Arch": f"{platform.system().lower()}/{platform.machine()}",
            "Context": os.environ.get("DOCKER_CONTEXT") or ("DOCKER_HOST" if os.environ.get("DOCKER_HOST") else "default"),
            "Engine": f"docker at {self.address}",
        }

    # -- networks -------------------------------------------------------------------------
    def list_networks(self, filters: dict | None = None) -> list[dict]:
        """GET /networks."""
        return self._call(self.api.networks, filters=filters)

    def inspect_network(self, name: str) -> dict:
        """GET /networks/NAME (raises 404 'network NAME not found')."""
        return self._call(self.api.inspect_network, name)

    def create_network(self, name: str, driver: str, internal: bool, subnets: list[str],
                       labels: dict[str, str]) -> str:
        """POST /networks/create; the new network's ID."""
        # the IPAM block the docker CLI sends (Options {}, so `network inspect` shows "Options": {} as for the CLI's)
        ipam = {"Driver": "default", "Config": [{"Subnet": s} for s in subnets], "Options": {}}
        res = self._call(self.api.create_network, name, driver=driver, internal=internal, ipam=ipam,
                         labels=labels, check_duplicate=True)
        return res["Id"]

    def remove_network(self, name: str) -> None:
        """DELETE /networks/NAME."""
        self._call(self.api.remove_network, name)

    def connect_network(self, network: str, container: str, aliases: list[str]) -> None:
        """POST /networks/NET/connect."""
        self._call(self.api.connect_container_to_network, container, network, aliases=aliases or None)

    def disconnect_network(self, network: str, container: str, force: bool) -> None:
        """POST /networks/NET/disconnect."""
        self._call(self.api.disconnect_container_from_network, container, network, force=force)

    # -- images ---------------------------------------------------------------------------
    def list_images(self) -> list[dict]:
        """GET /images/json."""
        return self._call(self.api.images)

    def inspect_image(self, name: str) -> dict:
        """GET /images/NAME/json."""
        return self._call(self.api.inspect_image, name)

    def build(self, context: BinaryIO, tag: str | None, dockerfile: str, buildargs: dict[str, str],
              labels: dict[str, str]) -> Iterator[dict]:
        """POST /build with a tar of the context; yields the engine's stream chunks."""
        stream = self._call(self.api.build, fileobj=context, custom_context=True, tag=tag, dockerfile=dockerfile,
                            buildargs=buildargs, labels=labels, rm=True, forcerm=True, decode=True, pull=False)
        while True:
            try:
                chunk = self._call(next, stream)
            except StopIteration:
                return
            yield chunk

    def tag_image(self, image: str, tag: str) -> None:
        """POST /images/IMAGE/tag."""
        repo, _, version = tag.rpartition(":") if ":" in tag.rsplit("/", 1)[-1] else (tag, "", "latest")
        self._call(self.api.tag, image, repo, version)

    def import_image(self, tar_path: str, repository: str, tag: str, changes: list[str]) -> None:
        """POST /images/create?fromSrc=- with a root filesystem tarball."""
        self._call(self.api.import_image_from_file, tar_path, repository=repository, tag=tag, changes=changes)

    # -- containers -----------------------------------------------------------------------
    def list_containers(self, all: bool = False, filters: dict | None = None) -> list[dict]:
        """GET /containers/json."""
        return self._call(self.api.containers, all=all, filters=filters)

    def inspect_container(self, name: str) -> dict:
        """GET /containers/NAME/json."""
        return self._call(self.api.inspect_container, name)

    def create_container(self, *, image: str, command: list[str] | None, name: str | None,
                         env: list[str], exposed: list[str], bindings: dict[str, list[tuple[str, str]]],
                         network: str | None, aliases: list[str], labels: dict[str, str], tty: bool,
                         stdin_open: bool, auto_remove: bool, hostname: str | None,
                         restart_policy: dict | None = None) -> str:
        """POST /containers/create; the new container's ID (restart_policy: the Engine API's RestartPolicy)."""
        port_bindings = {k: [(ip, int(hp) if hp else None) if ip else (int(hp) if hp else None)
                             for ip, hp in v] for k, v in bindings.items()}
        host_config = self.api.create_host_config(
            port_bindings=port_bindings or None, network_mode=network or None, auto_remove=auto_remove,
            restart_policy=restart_policy or None,
        )
        networking = None
        if network and aliases and not network.startswith("container:") and network not in ("none", "host"):
            networking = self.api.create_networking_config(
                {network: self.api.create_endpoint_config(aliases=aliases)}
            )
        res = self._call(
            self.api.create_container,
            image,
            command=command or None,
            name=name,
            environment=env or None,
            ports=[(int(p.split("/")[0]), p.split("/")[1]) if "/" in p else int(p) for p in exposed] or None,
            host_config=host_config,
            networking_config=networking,
            labels=labels,
            tty=tty,
            stdin_open=stdin_open,
            hostname=hostname,
        )
        return res["Id"]

    def start(self, cid: str) -> None:
        """POST /containers/ID/start."""
        self._call(self.api.start, cid)

    def stop(self, cid: str, timeout: int | None = None) -> None:
        """POST /containers/ID/stop."""
        if timeout is None:
            self._call(self.api.stop, cid)
        else:
            self._call(self.api.stop, cid, timeout=timeout)

    def restart(self, cid: str, timeout: int | None = None) -> None:
        """POST /containers/ID/restart."""
        if timeout is None:
            self._call(self.api.restart, cid)
        else:
            self._call(self.api.restart, cid, timeout=timeout)

    def remove_container(self, cid: str, force: bool = False) -> None:
        """DELETE /containers/ID."""
        self._call(self.api.remove_container, cid, force=force)

    def wait(self, cid: str) -> int:
        """POST /containers/ID/wait: the exit code."""
        res = self._call(self.api.wait, cid, timeout=None)
        return int(res.get("StatusCode", 0))

    def logs(self, cid: str) -> tuple[str, str]:
        """The container's stdout and stderr so far."""
        out = self._call(self.api.logs, cid, stdout=True, stderr=False)
        err = self._call(self.api.logs, cid, stdout=False, stderr=True)
        return out.decode(errors="replace"), err.decode(errors="replace")

    def exec_run(self, cid: str, cmd: list[str], tty: bool, env: list[str], detach: bool = False
                 ) -> tuple[int, str, str]:
        """Run cmd inside the container; its exit code, stdout and stderr."""
        ex = self._call(self.api.exec_create, cid, cmd, tty=tty, environment=env or None)
        if detach:
            self._call(self.api.exec_start, ex["Id"], detach=True)
            return 0, "", ""
        out = self._call(self.api.exec_start, ex["Id"], tty=tty, demux=True)
        code = self._call(self.api.exec_inspect, ex["Id"]).get("ExitCode")
        stdout, stderr = out if isinstance(out, tuple) else (out, b"")
        return (code if code is not None else 0), (stdout or b"").decode(errors="replace"), \
            (stderr or b"").decode(errors="replace")

    def log_frames(self, cid: str, *, tail: str = "all", since: str | None = None, until: str | None = None,
                   timestamps: bool = False, follow: bool = False, tty: bool = False) -> Iterator[tuple[int, bytes]]:
        """GET /containers/ID/logs, demultiplexed: (1 stdout / 2 stderr, bytes) in the daemon's order."""
        params = {"stdout": 1, "stderr": 1, "timestamps": int(timestamps), "follow": int(follow), "tail": tail}
        if since is not None:
            params["since"] = since
        if until is not None:
            params["until"] = until
        res = self._call(self.api._get, self.api._url("/containers/{0}/logs", cid), params=params, stream=True)
        self._call(self.api._raise_for_status, res)
        if follow:  # a quiet container is no timeout: the stream ends when the container stops
            self.api._disable_socket_timeout(self.api._get_raw_response_socket(res))
        try:
            if tty:  # one stream of bare bytes
                for chunk in res.iter_content(4096):
                    yield 1, chunk
                return
            while True:  # frames: stream (1 stdout, 2 stderr), three zero bytes, a big-endian length, the bytes
                header = res.raw.read(8)
                if len(header) < 8:
                    return
                stream, length = struct.unpack(">BxxxL", header)
                yield (2 if stream == 2 else 1), res.raw.read(length)
        finally:
            res.close()

    def kill(self, cid: str, signal: str | None = None) -> None:
        """POST /containers/ID/kill."""
        self._call(self.api.kill, cid, signal=signal)

    def rename(self, cid: str, name: str) -> None:
        """POST /containers/ID/rename."""
        self._call(self.api.rename, cid, name)

    def top(self, cid: str, ps_args: str | None = None) -> dict:
        """GET /containers/ID/top."""
        return self._call(self.api.top, cid, ps_args=ps_args)

    def pause(self, cid: str) -> None:
        """POST /containers/ID/pause."""
        self._call(self.api.pause, cid)

    def unpause(self, cid: str) -> None:
        """POST /containers/ID/unpause."""
        self._call(self.api.unpause, cid)

    def info(self) -> dict:
        """GET /info."""
        return self._call(self.api.info)

    def prune_containers(self, filters: dict | None = None) -> dict:
        """POST /containers/prune."""
        return self._call(self.api.prune_containers, filters=filters)

    def prune_networks(self, filters: dict | None = None) -> dict:
        """POST /networks/prune."""
        return self._call(self.api.prune_networks, filters=filters)

    def pull(self, repository: str, tag: str) -> Iterator[dict]:
        """POST /images/create?fromImage=…: the daemon's progress messages, one dict each."""
        stream = self._call(self.api.pull, repository, tag=tag, stream=True, decode=True)
        while True:
            try:
                yield self._call(next, stream)
            except StopIteration:
                return

    # -- readiness ------------------------------------------------------------------------
    def wait_ready(self, cid: str, deadline_s: float = readiness.DEFAULT_DEADLINE) -> None:
        """Return when the container listens on a served port, has exited, or is not a server."""
        info = self.inspect_container(cid)
        wanted = readiness.expectation(info.get("Config") or {})
        if wanted is None:
            return
        ports, deadline = wanted
        probe = self._host_probe(info) or self._exec_probe(cid)

        def ready() -> bool:
            found = probe()
            if found is None:  # the process is gone: ready once the engine reports it exited
                return not (self.inspect_container(cid).get("State") or {}).get("Running")
            return bool(found & ports) if ports else bool(found)

        readiness.poll_until(ready, min(deadline, deadline_s))

    def listeners(self, cid: str) -> list[tuple[str, int]]:
        """(address, port) pairs the container's programs listen on, read from its network namespace."""
        info = self.inspect_container(cid)
        if not (info.get("State") or {}).get("Running"):
            return []
        pid = (info.get("State") or {}).get("Pid") or 0
        base = _namespace_proc(pid)
        text = ""
        try:
            if pid and _shares_this_namespace(pid):  # --network host: only its own processes' sockets
                text = _host_network_text(pid) or ""
            elif base is None:
                raise OSError("not a local network namespace")
            else:
                for name in ("tcp", "tcp6"):
                    with open(f"{base}/net/{name}") as f:
                        text += f.read()
        except OSError:
            text = self._sockets_inside(cid)
        # Docker's DNS resolver's socket is Docker's, not the app's (the embedded engine answers DNS without one)
        return [(a, p) for a, p in readiness.listening_sockets(text) if a != readiness.DOCKER_DNS]

    def _sockets_inside(self, cid: str) -> str:
        """The container's /proc/net/tcp{,6} read by `cat` inside it (a remote daemon); an unknown raises."""
        code, text, err = self.exec_run(cid, ["cat", "/proc/net/tcp", "/proc/net/tcp6"], False, [])
        if code not in (0, 1) or not text:
            raise engine_error(500, f"cannot read {cid[:12]}'s sockets: "
                                    f"{(err.strip().splitlines() or ['cat /proc/net/tcp failed'])[-1]}")
        return text

    def _host_probe(self, info: dict):
        """Read the container's sockets from this host's /proc when the daemon is local."""
        pid = (info.get("State") or {}).get("Pid") or 0
        if not pid:
            return lambda: None
        if _shares_this_namespace(pid):  # --network host: only the sockets its own processes hold
            def own() -> set[int] | None:
                try:
                    text = _host_network_text(pid)
                except OSError:
                    return None
                return None if text is None else readiness.listening_ports(text)
            return own
        base = _namespace_proc(pid)
        if base is None:
            return None
        try:
            with open(f"{base}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        except OSError:
            return None
        expected = [info.get("Path", "")] + list(info.get("Args") or [])
        if not argv or os.path.basename(argv[0]) != os.path.basename(expected[0]):
            return None

        def probe() -> set[int] | None:
            try:
                text = ""
                for name in ("tcp", "tcp6"):
                    with open(f"{base}/net/{name}") as f:
                        text += f.read()
                return readiness.listening_ports(text)
            except OSError:
                return None  # the process is gone: it exited

        return probe

    def _exec_probe(self, cid: str):
        """Read the container's sockets with `cat /proc/net/tcp*` inside it (remote daemons)."""
        def probe() -> set[int] | None:
            try:
                code, out, _ = self.exec_run(cid, ["cat", "/proc/net/tcp", "/proc/net/tcp6"], False, [])
            except (EngineError, CommandError):
                return None  # not running any more
            if code not in (0, 1):
                return None
            return readiness.listening_ports(out)

        return probe
