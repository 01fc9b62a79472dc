"""The embedded engine's containers as the API shows them: create, list, inspect, remove, wait, logs."""

from __future__ import annotations

import ipaddress
import json
import os
import random
import re
import shutil
import socket

from labkit import units
from labkit.courseimages import with_tag
from labkit.engines.sim.listfilters import labels_match
from labkit.engines.sim.model import (
    _ADJ,
    _NOUN,
    SimContainer,
    _new_id,
    _now,
    _read,
    _rfc3339,
)
from labkit.errors import engine_error


def check_joiner(hostname: str | None, bindings: dict, exposed: list[str]) -> None:
    """A `--network container:X` container cannot have its own hostname, published or exposed ports: dockerd's
    400s, in its order (checked one by one on Docker 20.10)."""
    for given, what in ((hostname, "hostname and the network mode"),
                        (bindings, "port publishing and the container type network mode"),
                        (exposed, "port exposing and the container type network mode")):
        if given:
            raise engine_error(400, f"conflicting options: {what}")


def check_name(name: str) -> None:
    """A container name as dockerd takes it (a leading / is allowed): its 400 otherwise."""
    if not _NAME.fullmatch(name):
        raise engine_error(400, f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")


class ContainerOps:
    """Containers as the Engine API shows them. Mixed into SimEngine."""

    def _ctr(self, ref: str) -> SimContainer:
        ref = ref.lstrip("/")
        for c in self.containers.values():
            if c.name == ref or c.id == ref:
                return c
        matches = [c for c in self.containers.values() if c.id.startswith(ref)]
        if len(matches) == 1 and ref:
            return matches[0]
        raise engine_error(404, f"No such container: {ref}")

    def list_containers(self, all: bool = False, filters: dict | None = None) -> list[dict]:
        """GET /containers/json."""
        with self.lock:
            items = sorted(self.containers.values(), key=lambda c: c.created, reverse=True)
            out = []
            for c in items:
                if not all and not (c.running or c.restarting):
                    continue
                if not labels_match(c.config.get("Labels"), (filters or {}).get("label", [])):
                    continue
                if filters and "name" in filters and not any(f in c.name for f in filters["name"]):
                    continue
                out.append(self._summary(c))
            return out

    def _publishing(self, c: SimContainer) -> bool:
        """Whether the container's ports are published and listed: not when its only networks are --internal
        (dockerd then maps no port and lists none, in ps, port or NetworkSettings.Ports)."""
        nets = [self._net_or_none(name) for name in c.networks]
        return not nets or any(net is None or not net.internal for net in nets)

    def _summary(self, c: SimContainer) -> dict:
        ports = []
        exposed = (c.config.get("ExposedPorts") or {}) if c.running and self._publishing(c) else {}
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
                "Labels": c.config.get("Labels") or {}, "State": "paused" if c.paused else c.status,
                "Status": self._status(c),
                "HostConfig": {"NetworkMode": c.network_mode}}

    def _status(self, c: SimContainer) -> str:
        now = _now()
        if c.status == "running":
            return "Up " + units.human_duration(now - c.started) + (" (Paused)" if c.paused else "")
        if c.status == "exited":
            return f"Exited ({c.exit_code}) " + units.ago(c.finished, now)
        if c.restarting:
            return f"Restarting ({c.exit_code}) " + units.ago(c.finished, now)
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
            # dockerd: null for the networks a container was created on, {} for one it was connected to later
            nets[name] = {"IPAMConfig": {} if net.user and name in c.aliases_by_net else None, "Links": None,
                          "Aliases": (ep or {}).get("aliases") if net.user else None,
                          "NetworkID": net.id, "EndpointID": (ep or {}).get("endpoint", ""),
                          "Gateway": net.gateway if ep else "", "IPAddress": (ep or {}).get("ip", ""),
                          "IPPrefixLen": ipaddress.ip_network(net.subnet).prefixlen if ep else 0,
                          "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
                          "MacAddress": (ep or {}).get("mac", ""), "DriverOpts": {} if net.user else None}
        ports = {}
        for key in (c.config.get("ExposedPorts") or {}) if self._publishing(c) else {}:
            binds = c.bindings.get(key)
            if c.running and binds:
                ports[key] = [{"HostIp": hip, "HostPort": hp} for ip, hp in binds
                              for hip in ([ip] if ip else ["0.0.0.0", "::"])]
            else:
                ports[key] = None
        bridge = nets.get("bridge") or {}
        return {
            "Id": c.id, "Created": _rfc3339(c.created), "Path": argv[0] if argv else "", "Args": argv[1:],
            "State": {"Status": "paused" if c.paused else c.status, "Running": c.running or c.restarting,
                      "Paused": c.paused, "Restarting": c.restarting,
                      "OOMKilled": False, "Dead": False, "Pid": self._pid(c), "ExitCode": c.exit_code,
                      "Error": c.error, "StartedAt": _rfc3339(c.started), "FinishedAt": _rfc3339(c.finished)},
            "Image": c.image.id, "Name": "/" + c.name, "RestartCount": c.restart_count,
            "Driver": "labkit-sim",
            "Platform": "linux",
            "HostConfig": {"Binds": None, "NetworkMode": c.network_mode, "AutoRemove": c.auto_remove, "Links": None,
                           "RestartPolicy": {"Name": c.restart_policy.get("Name") or "no",
                                             "MaximumRetryCount": c.restart_policy.get("MaximumRetryCount") or 0},
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
                         hostname: str | None, working_dir: str | None = None, stop_timeout: int | None = None,
                         user: str | None = None, restart_policy: dict | None = None) -> str:
        """POST /containers/create. working_dir (-w) replaces the image's WorkingDir, user (-u) its User (resolved
        when the container starts, as dockerd does), restart_policy (--restart) its restarts (restarts.py);
        stop_timeout (--stop-timeout) is how long a stop without ?t=
        waits."""
        with self.lock:
            img = self._image(image)
            if img is None:
                raise engine_error(404, f"No such image: {with_tag(image)}")
            if name is not None:
                check_name(name)
                name = name.removeprefix("/")
                for c in self.containers.values():
                    if c.name == name:
                        raise engine_error(409, f'Conflict. The container name "/{name}" is already in use by container '
                                            f'"{c.id}". You have to remove (or rename) that container to be able '
                                            "to reuse that name.")
            mode = network or "default"
            owner = None
            nets: list[str] = []
            if mode.startswith("container:"):
                check_joiner(hostname, bindings, exposed)
                owner = self._ctr(mode.split(":", 1)[1])
                if owner.ns_owner:
                    owner = self._ctr(owner.ns_owner)
            elif mode == "none":
                pass
            elif mode in ("default", "bridge"):
                nets = ["bridge"]
            elif mode == "host":  # the machine's own network: its loopback, its hostname, nothing published
                bindings, hostname = {}, hostname or socket.gethostname()
            else:
                nets = [mode]  # the daemon looks the network up when the container starts
            cid = _new_id()
            cfg = json.loads(json.dumps(img.config))
            env_keys = {e.split("=", 1)[0] for e in env}
            cfg["Env"] = list(env) + [e for e in cfg.get("Env") or [] if e.split("=", 1)[0] not in env_keys]  # as dockerd
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
            if working_dir:
                cfg["WorkingDir"] = working_dir
            if user:
                cfg["User"] = user
            if stop_timeout is not None:
                cfg["StopTimeout"] = stop_timeout
            name = name or self._random_name()
            root = os.path.join(self.dir, "containers", cid)
            os.makedirs(root)
            files = os.path.join(root, "rootfs")
            if img.files and os.path.isdir(img.files):
                shutil.copytree(img.files, files, symlinks=True)
            else:
                os.makedirs(files)
            # addresses go round (the next free index after the last one given), as a new container's namespace is
            # new on Docker: reusing a just-removed container's address would meet its connections in TIME_WAIT, and
            # a program binding without SO_REUSEADDR would fail with EADDRINUSE where on Docker it serves
            taken = {other.index for other in self.containers.values()}
            start = getattr(self, "index_cursor", 0)
            index = next((i % 250 for i in range(start, start + 250) if i % 250 not in taken), None)
            if index is None:
                raise engine_error(500, "the embedded engine holds 250 containers at most; remove some (labkit clean)")
            self.index_cursor = index + 1
            c = SimContainer(cid, name, img, image, cfg, network or "default", list(aliases), dict(bindings),
                             auto_remove, index, root)
            c.networks = nets
            c.ns_owner = owner.id if owner else None
            c.restart_policy = dict(restart_policy or {})
            self.containers[cid] = c
            self._write_topology()
            return cid

    def _random_name(self) -> str:
        taken = {c.name for c in self.containers.values()}
        while True:
            name = f"{random.choice(_ADJ)}_{random.choice(_NOUN)}"
            if name not in taken:
                return name

    def remove_container(self, cid: str, force: bool = False) -> None:
        """DELETE /containers/ID."""
        c = self._ctr(cid)
        if c.paused and not force:
            raise engine_error(409, f"You cannot remove a paused container {c.id}. Unpause and then stop the container "
                                    "before attempting removal or force remove")
        if c.running or c.restarting:
            if not force:
                raise engine_error(409, f"You cannot remove a {c.status} container {c.id}. Stop the container before "
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

    def log_frames(self, cid: str, *, tail: str = "all", since: str | None = None, until: str | None = None,
                   timestamps: bool = False, follow: bool = False, tty: bool = False):
        """The container's output from its start as (stream, bytes) pieces, 1 stdout and 2 stderr; with follow,
        until it stops. (In-process callers only: the daemon's API serves --tail/--since/--until/-t itself.)"""
        import time

        from labkit.engines.sim.api_streams import LogTail

        c = self._ctr(cid)
        logs = LogTail((c.stdout_path, c.stderr_path), from_start=True)
        try:
            while True:
                running = c.running
                yield from logs.read()
                if not (follow and running):
                    return
                time.sleep(0.05)
        finally:
            logs.close()

    def rename(self, cid: str, name: str) -> None:
        """POST /containers/ID/rename?name=NAME, with dockerd's checks in dockerd's order."""
        if not cid or not name:
            raise engine_error(400, "Neither old nor new names may be empty")
        new = "/" + name.removeprefix("/")
        with self.lock:
            c = self._ctr(cid)
            if "/" + c.name == new:
                raise engine_error(400, "Renaming a container with the same name as its current name")
            if not _NAME.fullmatch(new):
                raise engine_error(400, f"Error when allocating new name: Invalid container name ({new}), only "
                                        "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
            for other in self.containers.values():
                if "/" + other.name == new:
                    raise engine_error(409, f'Error when allocating new name: Conflict. The container name "{new}" is '
                                            f'already in use by container "{other.id}". You have to remove (or rename) '
                                            "that container to be able to reuse that name.")
            c.name = new[1:]
            self._write_topology()

    def rw_size(self, cid: str) -> int:
        """The bytes a container wrote to its own files (what removing it reclaims): files new or changed since
        the image's."""
        c = self._ctr(cid)
        base, total = os.path.join(c.root, "rootfs"), 0
        for root, _, files in os.walk(base):
            for f in files:
                path = os.path.join(root, f)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                try:
                    orig = os.lstat(os.path.join(c.image.files, os.path.relpath(path, base))) if c.image.files else None
                except OSError:
                    orig = None
                if orig is None or (orig.st_size, int(orig.st_mtime)) != (st.st_size, int(st.st_mtime)):
                    total += st.st_size
        return total


_NAME = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
