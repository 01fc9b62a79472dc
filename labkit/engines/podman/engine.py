"""PodmanEngine: labkit's Engine API client (DockerEngine) pointed at a Podman service, with the shapes Podman 4.x's
Docker-compatible API answers differently mended to Docker's, measured on Podman 4.3.1 beside dockerd 20.10:

- image names: Podman files every image under a registry (`localhost/day8:latest`); `ps` and `images` show
  them in labkit's one normal form (labkit.engines.imagenames), as Docker shows the name the learner typed;
- `ps` rows: Podman's container list gives published ports without their host address, a `--network
  container:X` member the networks and ports of X, no HostConfig, and lists oldest first; labkit builds each
  row from the container's inspect document as the docker CLI's daemon builds it, newest first (so a clean-up
  that removes in list order removes `--network container:X` members before X, which Podman requires);
- `rm -f`: Podman's compat API stops a container first (SIGTERM, 10 s) where Docker kills it; labkit kills it;
- `network rm`: Podman 4.3 deletes a network given by ID even while containers use it (leaking its bridge, its
  firewall rules and its DNS); given by name it refuses, as Docker does, so labkit always names it;
- `top`: Podman's compat endpoint answers nothing; labkit asks Podman's own (libpod) endpoint, whose columns
  are Podman's (USER PID PPID %CPU ELAPSED TTY TIME COMMAND).

Podman's networking is left as it is (DNS on the gateway, `.dns.podman`, no IPv6 publish): the course teaches
it as Podman's. After a container change, aardvark-dns may stop answering for a while: see dnswait.
"""

from __future__ import annotations

import os
import re
import sys
from urllib.parse import quote

from labkit.engines import imagenames
from labkit.engines.apiclient.engine import DockerEngine
from labkit.engines.podman import dnswait
from labkit.errors import (
    CommandError,
    Conflict,
    EngineError,
    EngineUnreachable,
    ImageNotFound,
    LabkitError,
    NotFound,
    ServerError,
)

# Podman's words for an image it does not have ("no such image: docker.io/curlimages/curl: image not known")
_MISSING_IMAGE = re.compile(r"^no such image\b|: image not known$", re.IGNORECASE)
_TAGGED = "Successfully tagged "
_NAME_IN_USE = "that name is already in use"
_LISTED_WITHOUT_ALL = ("running", "paused", "restarting")
# the libpod API version whose `top` labkit asks (Podman 4.0 and later serve it)
LIBPOD_API = "v4.0.0"


def unreachable_text(address: str, err: BaseException | None) -> str:
    """Why the Podman service at address does not answer, and how to start one, in one line."""
    start = ("start it (`podman system service --time=0 unix:///run/podman/podman.sock &` as root, "
             "`systemctl --user start podman.socket` rootless) or point DOCKER_HOST at it")
    if address.startswith("unix://") and not os.path.exists(address[len("unix://"):]):
        return f"labkit: cannot reach Podman: no socket at {address[len('unix://'):]} (its service is not running); {start}"
    reason = (str(err).splitlines() or [type(err).__name__])[0][:160] if err else "no answer"
    return f"labkit: cannot reach Podman at {address} ({reason}); {start}"


def published_ports(info: dict) -> list[dict]:
    """The Ports of a container's `ps` row, from its inspect document, as dockerd builds them: one entry per host
    binding (IP, PrivatePort, PublicPort, Type; Podman's "" host address is all interfaces, 0.0.0.0), one bare
    entry per exposed port published nowhere, none for a `--network container:X` member (the ports are X's)."""
    if ((info.get("HostConfig") or {}).get("NetworkMode") or "").startswith("container:"):
        return []
    ports: list[dict] = []
    bound = (info.get("NetworkSettings") or {}).get("Ports") or {}
    exposed = (info.get("Config") or {}).get("ExposedPorts") or {}
    for key in sorted(set(bound) | set(exposed)):
        number, _, proto = key.partition("/")
        bindings = bound.get(key) or []
        if not bindings:
            ports.append({"PrivatePort": int(number), "Type": proto or "tcp"})
        for b in bindings:
            ports.append({"IP": b.get("HostIp") or "0.0.0.0", "PrivatePort": int(number),
                          "PublicPort": int(b.get("HostPort") or 0), "Type": proto or "tcp"})
    return ports


def as_dockerd_inspects(info: dict) -> dict:
    """A container's inspect document with Podman's differences of shape mended (see PodmanEngine.inspect_container)."""
    info = dict(info)
    state = info.get("State") or {}
    if state.get("Status") == "stopped":
        info["State"] = dict(state, Status="exited")
    if ((info.get("HostConfig") or {}).get("NetworkMode") or "").startswith("container:"):
        settings = dict(info.get("NetworkSettings") or {})
        settings.update(Networks={}, Ports={}, IPAddress="", Gateway="", MacAddress="", IPPrefixLen=0)
        info["NetworkSettings"] = settings
    return info


def ps_row(summary: dict, info: dict) -> dict:
    """A container's `ps` row (GET /containers/json's shape) mended from its inspect document: the image name in
    the normal form, the ports with their host address, HostConfig.NetworkMode, and a `--network container:X`
    member with no networks of its own (Docker lists none for it)."""
    row = dict(summary)
    row["Image"] = imagenames.normal(summary.get("Image") or "")
    if row.get("State") == "stopped":
        row["State"] = "exited"
    row["Ports"] = published_ports(info)
    if info.get("Path"):  # dockerd's COMMAND: the entrypoint and its arguments (Podman's row leaves the entrypoint out)
        row["Command"] = " ".join([info["Path"], *(info.get("Args") or [])])
    mode = (info.get("HostConfig") or {}).get("NetworkMode") or ""
    row["HostConfig"] = {"NetworkMode": mode or "default"}
    if mode.startswith("container:"):
        row["NetworkSettings"] = {"Networks": {}}
    return row


class PodmanEngine(DockerEngine):
    """An Engine over a Podman service's Docker-compatible API; its name, "podman", is the kind's."""

    name = "podman"

    def __init__(self, address: str | None = None) -> None:
        super().__init__(address)
        self._dns_dirty = False  # a container changed since DNS last answered
        self._dns_dead: set[str] = set()  # DNS servers that did not answer within the deadline once
        self._renamed: set[str] = set()  # containers renamed through this engine (see rename)
        self.say = lambda line: sys.stderr.write(line + "\n")

    def _call(self, fn, *args, **kwargs):
        """An Engine API call; Podman's 404 for a missing image ("no such image: …: image not known") is the
        missing-image error, as dockerd's "No such image: …" is (the docker CLI then says "Unable to find image")."""
        try:
            return super()._call(fn, *args, **kwargs)
        except NotFound as err:
            if isinstance(err, ImageNotFound) or not _MISSING_IMAGE.search(err.message):
                raise
            raise ImageNotFound(err.message, err.status) from None
        except ServerError as err:  # Podman answers a name clash with 500 where dockerd answers 409
            if _NAME_IN_USE not in err.message:
                raise
            raise Conflict(err.message, 409) from None

    def unreachable(self, err: BaseException) -> LabkitError:
        """The one-line error for a Podman service that does not answer, saying how to start one."""
        return EngineUnreachable(unreachable_text(self.address, err) + "\n", 1)

    def client_info(self) -> dict[str, str]:
        """What the client side is, with the engine named as Podman."""
        return {**super().client_info(), "Engine": f"podman at {self.address}"}

    # -- images: names in the normal form --------------------------------------------------------------------
    def list_images(self) -> list[dict]:
        """GET /images/json, each tag in the normal form (`localhost/day8:latest` -> `day8:latest`)."""
        return [dict(i, RepoTags=[imagenames.normal_tagged(t) if t != "<none>:<none>" else t
                                  for t in (i.get("RepoTags") or [])] or None)
                for i in super().list_images()]

    def build(self, context, tag, dockerfile, buildargs, labels):
        """POST /build; Podman's "Successfully tagged day8" line names the tag as dockerd does ("day8:latest")."""
        for chunk in super().build(context, tag, dockerfile, buildargs, labels):
            line = chunk.get("stream")
            if isinstance(line, str) and line.startswith(_TAGGED):
                chunk = dict(chunk, stream=_TAGGED + imagenames.normal_tagged(line[len(_TAGGED):].strip()) + "\n")
            yield chunk

    # -- containers: rows as dockerd builds them, newest first ---------------------------------------------------
    def inspect_container(self, name: str) -> dict:
        """GET /containers/NAME/json as dockerd shapes it: "exited" where Podman says "stopped" (a container
        that exited and was not yet cleaned up), and a `--network container:X` member with no networks or ports
        of its own (Podman copies X's)."""
        return as_dockerd_inspects(super().inspect_container(name))

    def list_containers(self, all: bool = False, filters: dict | None = None) -> list[dict]:
        """GET /containers/json, each row built from the container's inspect document, newest first."""
        rows = []
        # Podman's list without all leaves paused containers out; dockerd lists them (`ps` shows "Up … (Paused)")
        for summary in super().list_containers(all=True, filters=filters):
            if not all and summary.get("State") not in _LISTED_WITHOUT_ALL:
                continue
            try:
                info = self.inspect_container(summary["Id"])
            except NotFound:  # removed meanwhile
                continue
            rows.append((info.get("Created") or "", ps_row(summary, info)))
        rows.sort(key=lambda pair: pair[0], reverse=True)
        return [row for _, row in rows]

    def remove_container(self, cid: str, force: bool = False) -> None:
        """DELETE /containers/ID; with force, a running container is killed first (SIGKILL, as dockerd does:
        Podman's compat API would stop it with SIGTERM and wait 10 s)."""
        if force:
            try:
                if (self.inspect_container(cid).get("State") or {}).get("Running"):
                    self.kill(cid)
            except EngineError:
                pass  # gone, or already stopping: the removal below says what is true
        super().remove_container(cid, force=force)
        self._dns_dirty = True

    # -- networks: removed by name ----------------------------------------------------------------------------
    def remove_network(self, name: str) -> None:
        """DELETE /networks/NAME, always by name (Podman 4.3 deletes a network given by ID even while in use)."""
        net = self.inspect_network(name)
        super().remove_network(net.get("Name") or name)

    # -- top: Podman's own endpoint ----------------------------------------------------------------------------
    def top(self, cid: str, ps_args: str | None = None) -> dict:
        """GET /libpod/containers/ID/top (Podman's compat `top` answers nothing): {"Titles", "Processes"}."""
        api = self.api
        params = {"stream": "false"}
        if ps_args:
            params["ps_args"] = ps_args
        url = f"{api.base_url}/{LIBPOD_API}/libpod/containers/{quote(cid, safe='')}/top"
        res = self._call(api._get, url, params=params)
        self._call(api._raise_for_status, res)
        doc = res.json() if res.content else {}
        if doc.get("Titles"):
            return doc
        info = self.inspect_container(cid)
        name = (info.get("Name") or cid).lstrip("/")
        if (info.get("State") or {}).get("Paused"):
            raise CommandError("labkit: Podman 4.3 cannot list the processes of a paused container "
                               f"(Docker can): `docker unpause {name}` first\n", 1)
        raise CommandError(f"labkit: Podman answered `top` for {name} with no processes"
                           f"{' (Podman takes ps descriptors such as `pid,user,args`, not `ps` options)' if ps_args else ''}"
                           "\n", 1)

    # -- aardvark-dns's stall -----------------------------------------------------------------------------
    def start(self, cid: str) -> None:
        """POST /containers/ID/start, then wait (bounded) until the container's DNS answers if it stalled."""
        super().start(cid)
        self._dns_dirty = True
        self.settle_dns(cid)

    def restart(self, cid: str, timeout: int | None = None) -> None:
        """POST /containers/ID/restart, then wait (bounded) until the container's DNS answers if it stalled."""
        super().restart(cid, timeout)
        self._dns_dirty = True
        self.settle_dns(cid)

    def rename(self, cid: str, name: str) -> None:
        """POST /containers/ID/rename."""
        super().rename(cid, name)
        self._dns_dirty = True
        try:  # Podman 4.3's DNS keeps the old name until the container restarts: never waited for under its new one
            self._renamed.add(self.inspect_container(name)["Id"])
        except (EngineError, KeyError):
            pass

    def connect_network(self, network: str, container: str, aliases: list[str]) -> None:
        """POST /networks/NET/connect."""
        super().connect_network(network, container, aliases)
        self._dns_dirty = True

    def disconnect_network(self, network: str, container: str, force: bool) -> None:
        """POST /networks/NET/disconnect."""
        super().disconnect_network(network, container, force)
        self._dns_dirty = True

    def exec_run(self, cid: str, cmd: list[str], tty: bool, env: list[str], detach: bool = False
                 ) -> tuple[int, str, str]:
        """Run cmd inside the container, once its DNS answers after a container change (bounded wait)."""
        self.settle_dns(cid)
        return super().exec_run(cid, cmd, tty, env, detach)

    def settle_dns(self, cid: str) -> float:
        """After a container change, ask the DNS server of each of cid's networks for cid's own name until it
        answers (deadline dnswait.DEADLINE_S), saying one line when it had to wait. The seconds waited."""
        if not self._dns_dirty:
            return 0.0
        try:
            info = self.inspect_container(cid)
        except EngineError:
            return 0.0
        if not (info.get("State") or {}).get("Running"):
            return 0.0
        if ((info.get("HostConfig") or {}).get("NetworkMode") or "").startswith("container:"):
            return 0.0  # a member of another container's namespace has no name in DNS of its own
        servers = []
        for ep in ((info.get("NetworkSettings") or {}).get("Networks") or {}).values():
            if ep and ep.get("Gateway") and ep["Gateway"] not in self._dns_dead:
                servers += [(ep["Gateway"], name) for name in self._dns_names(ep)]
        waited = dnswait.wait_until_answering(servers, self.say)
        if waited > dnswait.DEADLINE_S:  # said once that it does not answer: not waited for again this session
            self._dns_dead.update(server for server, name in servers if dnswait.answers(server, name, 0.2) is False)
        self._dns_dirty = False
        return waited

    def _dns_names(self, endpoint: dict) -> list[str]:
        """The names Podman's DNS on the endpoint's network must answer: its running containers' (none on the
        default `podman` network, which has no DNS)."""
        try:
            net = self.inspect_network(endpoint.get("NetworkID") or "")
        except EngineError:
            return []
        if net.get("Name") in ("podman", "bridge") or (net.get("Options") or {}).get("dns_enabled") == "false":
            return []
        running = super().list_containers(filters={"network": [net.get("Name") or ""], "status": ["running"]})
        return sorted({(c.get("Names") or ["/"])[0].lstrip("/") for c in running if c.get("Id") not in self._renamed}
                      - {""})
