"""A snapshot of the lab as the engine reports it: networks, containers, addresses, listeners, ports.

Diagrams, the request-path tracer, exercise checks and the grader all read the lab through this one
snapshot, so they agree with each other and work the same on either engine. Only what labkit owns
is included (plus the built-in networks a labkit container is attached to).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from labkit import netrules, ownership, session
from labkit.engines import imagenames
from labkit.engines.base import Engine
from labkit.errors import EngineError
from labkit.netrules import BUILTIN_NETWORKS


@dataclass(frozen=True)
class Listener:
    """One listening TCP socket inside a container: the address it is bound to and its port."""

    address: str
    port: int

    @property
    def loopback_only(self) -> bool:
        """True when only programs inside the same network namespace can reach it (127.0.0.1, ::1)."""
        try:
            return ipaddress.ip_address(self.address).is_loopback
        except ValueError:
            return False

    @property
    def all_interfaces(self) -> bool:
        """True when bound to every interface (0.0.0.0 or ::)."""
        return self.address in ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class Endpoint:
    """A container's attachment to one network: its address there and its DNS aliases."""

    network: str
    ip: str  # "" while the container is stopped
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Published:
    """A published port: host address and port forwarded to a container port."""

    host_ip: str
    host_port: int
    container_port: int


@dataclass
class ContainerView:
    """One container as the lab sees it."""

    name: str
    image: str
    running: bool
    status: str
    network_mode: str
    endpoints: list[Endpoint] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)
    published: list[Published] = field(default_factory=list)
    exposed: list[int] = field(default_factory=list)
    lesson: str = ""
    hostname: str = ""
    id: str = ""
    listeners_unknown: str = ""  # why the engine could not say what listens (then `listeners` is not a fact)
    image_id: str = ""  # the image it was created from (a rebuilt tag points elsewhere; the container keeps this)
    created: str = ""  # when it was created, and when its program last started (Engine API timestamps)
    started: str = ""
    exit_code: int = 0

    @property
    def shares_namespace_with(self) -> str | None:
        """The container whose network namespace this one joined (--network container:NAME), if any."""
        if self.network_mode.startswith("container:"):
            return self.network_mode.split(":", 1)[1]
        return None

    def ip_on(self, network: str) -> str | None:
        """This container's address on a network, or None when it is not attached."""
        for ep in self.endpoints:
            if ep.network == network:
                return ep.ip
        return None


@dataclass
class NetworkView:
    """One network: its name, subnet, gateway and whether it is user-defined (has embedded DNS)."""

    name: str
    driver: str
    subnet: str
    gateway: str
    internal: bool
    user_defined: bool


@dataclass
class LabState:
    """Everything the lab has right now."""

    networks: list[NetworkView]
    containers: list[ContainerView]

    def container(self, name: str) -> ContainerView | None:
        """The container with this name, or None."""
        for c in self.containers:
            if c.name == name:
                return c
        return None

    def network(self, name: str) -> NetworkView | None:
        """The network with this name, or None."""
        for n in self.networks:
            if n.name == name:
                return n
        return None

    def members(self, network: str) -> list[ContainerView]:
        """Containers attached to a network, by name."""
        return [c for c in self.containers if c.ip_on(network)]

    def rules(self) -> netrules.Lab:
        """This lab as Docker's network rules see it (labkit.netrules), for explaining requests."""
        nets = {n.name: n for n in self.networks}
        boxes = []
        for c in self.containers:
            atts = []
            for ep in c.endpoints:
                n = nets.get(ep.network)
                atts.append(netrules.Attachment(ep.network, ep.ip, ep.aliases, ep.network not in BUILTIN_NETWORKS,
                                                n.gateway if n else "", n.subnet if n else ""))
            boxes.append(netrules.Box(c.id or c.name, c.name, c.running, c.hostname, c.shares_namespace_with,
                                      tuple(atts)))
        return netrules.Lab(boxes)


def _network_view(info: dict) -> NetworkView:
    configs = (info.get("IPAM") or {}).get("Config") or [{}]
    cfg = configs[0] if configs else {}
    name = info.get("Name", "")
    return NetworkView(name=name, driver=info.get("Driver", ""), subnet=cfg.get("Subnet", ""),
                       gateway=cfg.get("Gateway") or _first_address(info.get("Driver", ""), cfg.get("Subnet", "")),
                       internal=bool(info.get("Internal")), user_defined=name not in BUILTIN_NETWORKS)


def _first_address(driver: str, subnet: str) -> str:
    """The gateway of a bridge network created with --subnet and no --gateway: Docker lists only the subnet in
    IPAM.Config, and gives the bridge the subnet's first address (what its containers' routes show)."""
    if driver != "bridge" or not subnet:
        return ""
    try:
        return str(next(ipaddress.ip_network(subnet, strict=False).hosts()))
    except (ValueError, StopIteration):
        return ""


def container_view(engine: Engine, info: dict) -> ContainerView:
    """Turn an Engine API container inspect into a ContainerView (listeners asked of the engine)."""
    state = info.get("State") or {}
    config = info.get("Config") or {}
    settings = info.get("NetworkSettings") or {}
    endpoints = []
    for net, ep in sorted((settings.get("Networks") or {}).items()):
        # a stopped container stays attached to its networks, with no address until it starts again
        if ep and (ep.get("IPAddress") or (not state.get("Running") and net not in ("none", "host"))):
            # dockerd 20.10 adds the short container id to Aliases (`--network-alias svc` inspects as ["svc", "<12
            # hex>"]); later daemons and Compose add the container's name: only the aliases the learner gave are kept
            own = {info.get("Id", "")[:12], (info.get("Name") or "").lstrip("/")}
            aliases = tuple(a for a in (ep.get("Aliases") or []) if a and a not in own)
            endpoints.append(Endpoint(net, ep.get("IPAddress") or "", aliases))
    published = []
    for key, binds in sorted((settings.get("Ports") or {}).items()):
        port = int(key.split("/")[0])
        for b in binds or []:
            if b.get("HostIp") in ("::",):
                continue  # the IPv6 twin of a 0.0.0.0 binding
            published.append(Published(b.get("HostIp") or "0.0.0.0", int(b.get("HostPort") or 0), port))
    exposed = sorted(int(k.split("/")[0]) for k in (config.get("ExposedPorts") or {}))
    listeners, unknown = [], ""
    if state.get("Running"):
        try:
            listeners = [Listener(a, p) for a, p in engine.listeners(info["Id"])]
        except EngineError as err:
            unknown = f"the engine could not tell ({err.message})"
    return ContainerView(
        id=info.get("Id", ""), hostname=config.get("Hostname", ""),
        name=info.get("Name", "").lstrip("/"), image=imagenames.normal(config.get("Image", "")),
        running=bool(state.get("Running")),
        status=state.get("Status", ""), network_mode=(info.get("HostConfig") or {}).get("NetworkMode", ""),
        endpoints=endpoints, listeners=listeners, published=published, exposed=exposed,
        lesson=(config.get("Labels") or {}).get(ownership.LESSON_LABEL, ""), listeners_unknown=unknown,
        image_id=info.get("Image", ""), created=info.get("Created", ""), started=state.get("StartedAt", ""),
        exit_code=int(state.get("ExitCode") or 0))


def snapshot(engine: Engine | None = None, session_id: str | None = None) -> LabState:
    """Read one session's lab from the engine (the current session's unless given)."""
    me = session.current()
    engine = engine or me.engine()
    mine = {"label": [f"{ownership.SESSION_LABEL}={session_id or me.id}"]}
    containers: list[ContainerView] = []
    names_by_id: dict[str, str] = {}
    for summary in engine.list_containers(all=True, filters=mine):
        try:
            info = engine.inspect_container(summary["Id"])
        except EngineError:
            continue  # removed while we looked
        view = container_view(engine, info)
        containers.append(view)
        names_by_id[info.get("Id", "")] = view.name
    containers.sort(key=lambda c: c.name)
    for c in containers:  # Docker reports container:<id>; show the name the learner used
        owner = c.shares_namespace_with
        if owner:
            c.network_mode = "container:" + next((n for cid, n in names_by_id.items() if cid.startswith(owner)), owner)
    used = {ep.network for c in containers for ep in c.endpoints}
    networks = []
    owned = {n.get("Name", "") for n in engine.list_networks(filters=mine)}
    for summary in engine.list_networks():
        name = summary.get("Name", "")
        if name in owned or name in used:
            try:
                networks.append(_network_view(engine.inspect_network(summary.get("Id") or name)))
            except EngineError:
                continue
    networks.sort(key=lambda n: (not n.user_defined, n.name))
    return LabState(networks, containers)
