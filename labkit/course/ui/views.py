"""What the learner sees of the lab beyond docker's own output: listeners, the topology, one request's path."""

from __future__ import annotations

from labkit.course import paths, state
from labkit.errors import CommandError


def describe_listener(lst: state.Listener) -> str:
    """One listener and who can reach it, in words."""
    if lst.loopback_only:
        return f"{lst.address}:{lst.port}  loopback only: only programs in the same network namespace can connect"
    if lst.all_interfaces:
        return f"{lst.address}:{lst.port}  every interface: other containers and published ports can connect"
    return f"{lst.address}:{lst.port}  one interface: only traffic to {lst.address} can connect"


def listening(name: str) -> None:
    """Print what the apps in one container listen on (read from its network namespace)."""
    snap = state.snapshot()
    c = snap.container(name)
    if c is None:
        raise CommandError(f"labkit: there is no labkit container called {name}; `%docker ps -a` lists them\n", 1)
    if not c.running:
        print(f"{name} is not running ({c.status}): nothing listens")
        return
    owner = c.shares_namespace_with
    lines = [f"{name} listens on:" if not owner else f"{name} shares {owner}'s network namespace, which listens on:"]
    if c.listeners_unknown:
        lines.append(f"  unknown: {c.listeners_unknown}")
    else:
        lines += ["  " + describe_listener(lst) for lst in c.listeners] or ["  nothing"]
    print("\n".join(lines))


def summary(snap: state.LabState) -> str:
    """The topology as text (the diagram's caption): networks, members with addresses and aliases, listeners, ports."""
    if not snap.networks and not snap.containers:
        return "the lab is empty: no labkit networks or containers\n"
    lines = []
    for net in snap.networks:
        dns = "embedded DNS at 127.0.0.11" if net.user_defined else "no DNS for container names"
        lines.append(f"network {net.name} ({net.subnet}, {dns}{', internal' if net.internal else ''})")
        for c in snap.members(net.name):
            aliases = [a for ep in c.endpoints if ep.network == net.name for a in ep.aliases]
            lines.append(f"  {c.name:<12} {c.ip_on(net.name)}" + (f"  alias {', '.join(aliases)}" if aliases else ""))
    for c in snap.containers:
        owner = c.shares_namespace_with
        if owner and c.running:
            # the engine reports the namespace's sockets, which are the owner's: not this container's own listeners
            lines.append(f"container {c.name}: {c.status}, in {owner}'s network namespace (its addresses and "
                         f"ports are {owner}'s)")
            continue
        listen = ", ".join(f"{lst.address}:{lst.port}" for lst in c.listeners) or "nothing"
        if c.listeners_unknown:
            listen = "unknown"
        pub = ", ".join(f"{p.host_ip}:{p.host_port}->{p.container_port}" for p in c.published)
        where = owner and f" (shares {owner}'s namespace)" or ""
        lines.append(f"container {c.name}{where}: {c.status}, listens on {listen}" + (f", published {pub}" if pub else ""))
    return "\n".join(lines) + "\n"


def topology() -> None:
    """Print the lab's topology and draw it."""
    from labkit.course.ui import diagrams

    snap = state.snapshot()
    print(summary(snap), end="")
    diagrams.show(diagrams.topology_figure(snap))


def request_path(source: str, url: str) -> None:
    """Trace a request from engine state, make it for real, print both and draw the path."""
    from labkit.course.ui import diagrams

    try:
        t = paths.trace(state.snapshot(), source, url)
    except ValueError as err:
        raise CommandError(str(err) + "\n", 1) from None
    t.observed = paths.observe(source, url)
    _show_once(diagrams.request_path_figure(t), str(t))


def _show_once(fig, text: str) -> None:
    """One output: the figure, with the same facts as its text twin (nbval, screen readers, a terminal)."""
    import base64

    from labkit.course.ui import diagrams

    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None  # noqa: N806 - no IPython: text only
    if get_ipython is None or get_ipython() is None:
        print(text, end="")
        return
    display({"text/plain": text.rstrip("\n"), "image/png": base64.b64encode(diagrams.png_bytes(fig)).decode()},
            raw=True)
